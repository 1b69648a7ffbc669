"""Each handler module's first event: the test that invokes it first, with its sample event of
events/ and AWS emulated by moto (tests/test_performance.py runs it alone, after the module's
import, in a fresh interpreter)."""

PACKAGE = "{{ cookiecutter.package_name }}"
FIRST_EVENTS = {
    f"{PACKAGE}.resolvers": "tests/unit/test_resolvers.py::test_create_then_get_item",
}
