"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi …``."""

import gc
import sys

from foundation.config import UnsafeStart
from sahayata.app import create_app

# gunicorn halts on a worker that exits with its "app failed to load" code (4); any other
# code and the arbiter would start the worker again, three times a second, for ever.
APP_LOAD_ERROR = 4

try:
    app = create_app()
except UnsafeStart as refusal:
    print(f"sahayata: not starting: {refusal}", file=sys.stderr)
    sys.exit(APP_LOAD_ERROR)

# Everything loaded so far (models, catalogs, reference data) lives as long as the process:
# move it out of the collector's sight, so the full collections that every few thousand
# allocations trigger no longer walk a couple of hundred thousand objects each time.
gc.freeze()
