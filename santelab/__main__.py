import sys

from santelab.cli import main

sys.exit(main())
