"""Entry script for ``spark-submit`` (ship the package with
``--py-files nwcap_spark.zip``): the same as ``python -m nwcap_spark``."""

import sys

from nwcap_spark.cli import main

if __name__ == "__main__":
    sys.exit(main())
