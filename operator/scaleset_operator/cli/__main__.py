"""python -m scaleset_operator.cli"""

import sys

from scaleset_operator.cli import main

sys.exit(main())
