import sys

from .cli.standalone import main

sys.exit(main())
