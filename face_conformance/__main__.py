"""`python -m face_conformance` is the `face-conformance` command."""

import sys

from face_conformance.cli import main

sys.exit(main())
