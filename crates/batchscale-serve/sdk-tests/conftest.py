import pytest

from emu import Server


@pytest.fixture
def start():
    """start(*flags) -> Server; every server is stopped with SIGTERM and must exit 0."""
    servers = []

    def make(*flags, **kw):
        s = Server(*flags, **kw)
        servers.append(s)
        return s

    yield make
    for s in servers:
        if s.proc.poll() is None:
            code = s.stop()
            assert code == 0, s.stderr_text
            assert "batchscale serve: stopped" in s.stderr_text


@pytest.fixture(scope="module")
def server():
    """One manual-clock server for a module's independent tests."""
    s = Server()
    yield s
    code = s.stop()
    assert code == 0, s.stderr_text


_skipped = []


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    # Nothing is skipped in this suite: a skip is a failure.
    if _skipped:
        print(f"\nskipped tests are failures here: {_skipped}")
        session.exitstatus = 1
