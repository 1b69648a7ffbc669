"""{{ cookiecutter.project_name }}: {{ cookiecutter.description }}"""

# Every handler module is in this package, so importing it first pauses the cycle collector
# for the import at INIT on Lambda (init_phase.py) and registers the SnapStart runtime hooks
# (Lambda ignores hooks in modules the handler does not import): snapshot.py.
from . import init_phase as init_phase
from . import snapshot as snapshot
