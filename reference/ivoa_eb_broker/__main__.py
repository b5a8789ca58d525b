"""``python -m ivoa_eb_broker``: the same as the ``ivoa-eb-broker`` command."""

from .cli import main

if __name__ == "__main__":
    main()
