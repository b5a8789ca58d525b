#!/usr/bin/env bash
# Install and start a one-node Slurm cluster (slurmctld + slurmd + munge) on this machine.
# Idempotent. Needs root. Recipe: the project's brief, environment.md.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq slurm-wlm munge >/dev/null
fi
H=$(hostname)
# At most 2 CPUs and 8000 MB, but never more than the machine has: a node configured larger
# than it is gets drained by slurmctld ("Low RealMemory").
CPUS=$(nproc); [ "$CPUS" -gt 2 ] && CPUS=2
MEM=$(( $(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo) - 512 ))
[ "$MEM" -gt 8000 ] && MEM=8000
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge
if [ ! -f /etc/munge/munge.key ]; then
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
  chown munge:munge /etc/munge/munge.key
  chmod 400 /etc/munge/munge.key
fi
chown munge:munge /run/munge
CONF_NEW=$(mktemp)
cat > "$CONF_NEW" <<CONF
ClusterName=local
SlurmctldHost=$H
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
# Look at pending jobs every second (default 60 s), so that a job held with --begin starts
# on time.
SchedulerParameters=bf_interval=1,sched_interval=1,sched_min_interval=500000
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=$H CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=$H Default=YES MaxTime=INFINITE State=UP
CONF
CHANGED=0
if ! cmp -s "$CONF_NEW" /etc/slurm/slurm.conf; then
  install -m 644 "$CONF_NEW" /etc/slurm/slurm.conf
  CHANGED=1
fi
rm -f "$CONF_NEW"
RUNNING=0
pgrep -x slurmctld >/dev/null && RUNNING=1
pgrep -x munged >/dev/null || /usr/sbin/munged --force
pgrep -x slurmctld >/dev/null || /usr/sbin/slurmctld
pgrep -x slurmd >/dev/null || /usr/sbin/slurmd
# Daemons already running from an earlier run read a changed slurm.conf now.
if [ "$CHANGED" = 1 ] && [ "$RUNNING" = 1 ]; then
  timeout 30 scontrol reconfigure || true
fi
for _ in $(seq 1 50); do
  sinfo -h -o '%T' 2>/dev/null | grep -qE 'idle|mixed|allocated|reserved' && break
  sleep 0.2
done
timeout 30 sinfo
