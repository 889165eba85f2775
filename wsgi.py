"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi …``."""

import gc
import sys

from sahayata.app import create_app
from sahayata.config import UnsafeStart

try:
    app = create_app()
except UnsafeStart as refusal:
    sys.exit(f"sahayata: not starting: {refusal}")

# Everything loaded so far (models, catalogs, reference data) lives as long as the process:
# move it out of the collector's sight, so the full collections that every few thousand
# allocations trigger no longer walk a couple of hundred thousand objects each time.
gc.freeze()
