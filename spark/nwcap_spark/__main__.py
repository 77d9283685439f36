"""``python -m nwcap_spark``: see :mod:`nwcap_spark.cli`."""

import sys

from .cli import main

sys.exit(main())
