import sys

from mbcore.cli import main

sys.exit(main())
