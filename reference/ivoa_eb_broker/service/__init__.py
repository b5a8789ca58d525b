"""The application service around the pure core: intake, planning and holding, lifecycle
updates, expiry, and the scheduler that drives accepted sessions on a platform."""
