"""Each handler module's first event: the test that invokes it first, with its sample event of
events/ and AWS emulated by moto (tests/test_performance.py runs it alone, after the module's
import, in a fresh interpreter)."""

PACKAGE = "{{ cookiecutter.package_name }}"
FIRST_EVENTS = {
    f"{PACKAGE}.handler": "tests/unit/test_handler.py::test_an_order_is_recorded",
}
