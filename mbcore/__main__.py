import sys

from mbcore.cli.main import main

sys.exit(main())
