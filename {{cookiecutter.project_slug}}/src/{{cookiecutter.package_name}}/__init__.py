"""{{ cookiecutter.project_name }}: {{ cookiecutter.description }}"""

# Every handler module is in this package, so importing it registers the SnapStart runtime
# hooks (Lambda ignores hooks in modules the handler does not import): snapshot.py.
from . import snapshot as snapshot
