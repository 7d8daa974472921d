"""The worker boundary: data crosses as JSON and .npy only, and every way a candidate's
code can misbehave becomes a failed call, never a failure of the grader."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from coach import wire
from coach.limits import Limits
from coach.sandbox import (
    ApiMissing,
    CallTimedOut,
    CandidateRaised,
    Worker,
    WorkerDied,
    bwrap_works,
    process_state,
)

ROOT = Path(__file__).resolve().parent.parent

CANDIDATE = """
import os, socket, sys
import numpy as np
print("loaded")

class Thing:
    def __init__(self, lr=0.1):
        self.lr = lr
        self.w = np.zeros(3)
    def fit(self, X, y, epochs=5):
        self.epochs = epochs
        X *= 2
        return self
    def predict(self, X):
        return X.sum(axis=1)
    def echo(self, value):
        return value
    def chatty(self):
        for _ in range(200_000):
            print("x" * 100)
        return 1
    def leave(self):
        sys.exit(3)
    def vanish(self):
        os._exit(4)
    def hang(self):
        while True:
            pass
    def hog(self):
        return np.ones(50_000_000_000 // 8)
    def warn(self):
        return np.exp(np.array([1000.0]))
    def environment(self):
        return sorted(os.environ)
    def connect(self):
        socket.create_connection(("1.1.1.1", 53), timeout=1)
    def write_outside(self, path):
        with open(path, "w") as handle:
            handle.write("x")
        return "written"
    def opaque(self):
        return object()
    def read(self, path):
        with open(path) as handle:
            return handle.read()
    def forge(self):
        import json, struct
        head = json.dumps({"ok": True, "value": 1, "seq": 10**9, "arrays": 0}).encode()
        for fd in range(3, 64):
            try:
                os.write(fd, struct.pack(">I", len(head)) + head)
            except OSError:
                pass
        return 2
    def spawn_hogs(self):
        pids = []
        for _ in range(2):
            pid = os.fork()
            if pid == 0:
                os.setsid()  # leaves the worker's process group
                while True:
                    pass
            pids.append(pid)
        return pids
    def fork_forever(self):
        import time
        while True:
            if os.fork() == 0:
                try:
                    os.setsid()
                    with open("/proc/self/comm", "wb") as comm:
                        comm.write(b"coach-test-fork")
                    while True:
                        time.sleep(60)
                finally:
                    os._exit(0)
    def capabilities(self):
        with open("/proc/self/status") as handle:
            return next(line.split()[1] for line in handle if line.startswith("CapEff:"))
    def burn(self):
        return sum(i * i for i in range(3_000_000))
    def burn_in_a_thread(self):
        import threading
        worker = threading.Thread(target=self.burn)
        worker.start()
        worker.join()  # the thread has ended when the call returns
        return 1
    def rest(self):
        import time
        time.sleep(0.3)
        return 1
    def transposed(self):
        self.W = np.zeros((3, 2))
        return 1
    @property
    def layers(self):
        if not hasattr(self, "_layers"):
            self._layers = [np.zeros((2, 3)), np.zeros(3)]
        return self._layers
"""


@pytest.fixture
def worker(tmp_path: Path):
    path = tmp_path / "thing.py"
    path.write_text(CANDIDATE)
    w = Worker(str(path), limits=Limits(call_s=2.0))
    yield w
    w.close()


def new(worker: Worker, **kwargs):
    return worker.request(
        "new", kwargs=kwargs, required=["fit", "predict"], **{"class": "Thing"}
    ).value


def test_wire_round_trip_has_no_pickle() -> None:
    arrays: list[bytes] = []
    value = {"a": (np.arange(3.0), [1, "x", None]), "b": np.float64(2.5)}
    encoded = wire.encode(value, arrays)
    frame = wire.pack({"value": encoded}, arrays)
    assert b"pickle" not in frame and len(arrays) == 1
    objects = wire.encode(np.array([object()], dtype=object), [])
    assert "$repr" in objects  # object arrays travel as text, never as pickles


def test_calls_aliases_and_argument_copies(worker: Worker) -> None:
    handle = new(worker, learning_rate=0.5, n_iterations=7)
    assert worker.aliases == {"lr": "learning_rate", "epochs": "n_iterations"}
    X = np.ones((2, 3))
    reply = worker.request("call", X, np.zeros(2), obj=handle.id, method="fit", return_args=True)
    assert isinstance(reply.value, wire.Handle) and reply.value.id == handle.id
    assert np.array_equal(reply.args_after[0], 2 * X)  # the worker saw the mutation...
    assert np.array_equal(X, np.ones((2, 3)))  # ...the grader's array is untouched
    assert worker.request("get", obj=handle.id, attr="weights").value.shape == (3,)
    assert worker.request("get", obj=handle.id, attr="epochs").value == 7


def test_prints_are_captured_and_capped(worker: Worker) -> None:
    handle = new(worker)
    assert worker.request("call", obj=handle.id, method="chatty").value == 1
    assert worker.output.startswith("loaded")
    assert len(worker.output) <= 4096
    assert worker.output_total > 20_000_000


def test_exit_crash_hang_and_memory_cost_one_call(worker: Worker) -> None:
    handle = new(worker)
    with pytest.raises(CandidateRaised, match="sys.exit"):
        worker.request("call", obj=handle.id, method="leave")
    with pytest.raises(WorkerDied, match="status 4"):
        worker.request("call", obj=handle.id, method="vanish")
    handle = new(worker)  # restarted, file imported again
    started = time.monotonic()
    with pytest.raises(CallTimedOut):
        worker.request("call", obj=handle.id, method="hang", timeout=1.0)
    assert time.monotonic() - started < 3
    handle = new(worker)
    with pytest.raises(CandidateRaised) as raised:
        worker.request("call", obj=handle.id, method="hog")
    assert raised.value.kind == "MemoryError"
    with pytest.raises(ApiMissing):
        worker.request("call", obj=handle.id, method="missing")
    assert worker.request("call", obj=handle.id, method="opaque").value is not None


def test_numerical_warnings_come_back_with_the_line(worker: Worker) -> None:
    handle = new(worker)
    reply = worker.request("call", obj=handle.id, method="warn")
    found = [w for w in reply.warnings if "overflow encountered in exp" in w["message"]]
    assert found and found[0]["line"] is not None


def test_environment_is_scrubbed(worker: Worker, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_TOKEN", "hunter2")
    handle = new(worker)
    names = worker.request("call", obj=handle.id, method="environment").value
    assert "SECRET_TOKEN" not in names and "COACH_HOME" not in names
    assert "OPENBLAS_NUM_THREADS" in names


@pytest.mark.skipif(not bwrap_works(), reason="bubblewrap is not available here")
def test_bubblewrap_blocks_network_and_writes(worker: Worker, tmp_path: Path) -> None:
    handle = new(worker)
    with pytest.raises(CandidateRaised):
        worker.request("call", obj=handle.id, method="connect")
    try:  # /tmp inside the sandbox is its own: a write there may work, but never lands here
        worker.request("call", str(tmp_path / "outside.txt"), obj=handle.id, method="write_outside")
    except CandidateRaised:
        pass
    assert not (tmp_path / "outside.txt").exists()
    with pytest.raises(CandidateRaised):
        worker.request("call", str(ROOT / "outside.txt"), obj=handle.id, method="write_outside")
    assert not (ROOT / "outside.txt").exists()
    # none even as root: read-only folders cannot be remounted writable (mount needs one)
    assert int(worker.request("call", obj=handle.id, method="capabilities").value, 16) == 0


@pytest.mark.skipif(not bwrap_works(), reason="bubblewrap is not available here")
def test_candidate_cannot_read_coach_answers_or_code(worker: Worker) -> None:
    handle = new(worker)
    for hidden in (
        ROOT / "reference_solutions" / "logistic_regression.py",
        ROOT / "problems" / "logistic_regression.yaml",
        ROOT / "coach" / "grading.py",
    ):
        with pytest.raises(CandidateRaised, match="No such file"):
            worker.request("call", str(hidden), obj=handle.id, method="read")
    # the worker's own modules are there: it runs
    assert worker.request("call", None, obj=handle.id, method="echo").value is None


def test_a_forged_reply_costs_the_call_and_the_worker_goes_on(worker: Worker) -> None:
    handle = new(worker)
    with pytest.raises(WorkerDied, match="did not ask for"):
        worker.request("call", obj=handle.id, method="forge")
    handle = new(worker)  # a fresh worker, restarted
    assert worker.request("call", 41, obj=handle.id, method="echo").value == 41


def test_list_items_are_read_and_set_in_place(worker: Worker) -> None:
    handle = new(worker)
    layers = worker.request("get", obj=handle.id, attr="layers").value
    assert isinstance(layers, list) and [a.shape for a in layers] == [(2, 3), (3,)]
    worker.request("set", np.full(3, 7.0), obj=handle.id, attr="layers[1]")
    assert worker.request("get", obj=handle.id, attr="layers[1]").value.tolist() == [7.0] * 3
    with pytest.raises(ApiMissing, match="not a list"):
        worker.request("get", obj=handle.id, attr="w[0]")


def test_kept_values_are_passed_by_handle(worker: Worker) -> None:
    handle = new(worker)
    kept = worker.keep(np.arange(6.0).reshape(3, 2))
    assert worker.request("call", kept, obj=handle.id, method="predict").value.tolist() == [1, 5, 9]


def test_cpu_time_is_read_from_outside_and_counts_ended_threads(worker: Worker) -> None:
    handle = new(worker)
    with worker.cpu_timed():
        burnt = worker.request("call", obj=handle.id, method="burn")
        threaded = worker.request("call", obj=handle.id, method="burn_in_a_thread")
        rested = worker.request("call", obj=handle.id, method="rest")
    assert burnt.cpu is not None and burnt.cpu > 0.05
    assert burnt.cpu <= burnt.elapsed * 1.2 + 0.01  # one process, one thread at a time
    assert threaded.cpu is not None and threaded.cpu > 0.5 * burnt.cpu
    assert rested.elapsed >= 0.3 and rested.cpu is not None and rested.cpu < 0.1
    assert rested.spent == rested.cpu
    outside = worker.request("call", obj=handle.id, method="burn")
    assert outside.cpu is None and outside.spent == outside.elapsed


def test_cpu_time_of_no_process_is_unknown_and_wall_time_serves() -> None:
    from coach.sandbox import Reply, cpu_seconds

    assert cpu_seconds(2**22 + 12345) is None  # no such process: the kernel says nothing
    assert Reply(value=None, elapsed=0.5).spent == 0.5


def test_a_generated_array_is_made_in_the_worker(worker: Worker) -> None:
    from coach.arrays import generate

    spec = {"array": "uniform", "shape": [1000, 2], "seed": 3}
    kept = worker.keep(spec)
    handle = new(worker)
    made = worker.request("call", kept, obj=handle.id, method="echo").value
    assert np.array_equal(made, generate(spec))  # the same array as the parent would make


def test_a_kept_answer_is_not_sent_back(worker: Worker) -> None:
    handle = new(worker)
    kept = worker.request("call", np.ones((4, 2)), obj=handle.id, method="predict", keep=True)
    assert isinstance(kept.value, wire.Handle)
    echoed = worker.request("call", kept.value, obj=handle.id, method="echo").value
    assert echoed.tolist() == [2.0] * 4


def test_a_parameter_stored_in_another_layout_is_refused(worker: Worker) -> None:
    handle = new(worker)
    worker.request("call", obj=handle.id, method="transposed")
    with pytest.raises(ApiMissing, match=r"W holds an array of shape \(3, 2\)"):
        worker.request("set", np.ones((2, 3)), obj=handle.id, attr="W")
    worker.request("set", np.ones((3, 2)), obj=handle.id, attr="W")  # the same layout: fine
    worker.request("set", np.ones(3), obj=handle.id, attr="w")  # a vector for a vector


def test_grade_deadline_stops_calls(worker: Worker) -> None:
    handle = new(worker)
    worker.deadline = time.monotonic() - 1
    with pytest.raises(CallTimedOut, match="time limit"):
        worker.request("call", obj=handle.id, method="predict")


def test_copies_of_coach_in_any_visible_python_are_hidden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import coach.sandbox as sandbox

    stale = tmp_path / "lib" / "python3.11" / "site-packages" / "coach" / "_bank"
    stale.mkdir(parents=True)
    monkeypatch.setattr(sandbox, "visible_paths", lambda: ["/usr", str(tmp_path)])
    assert str(stale.parent) in sandbox.hidden_paths()


def test_a_paused_worker_stops_all_its_processes_and_kill_ends_them(tmp_path: Path) -> None:
    path = tmp_path / "thing.py"
    path.write_text(CANDIDATE)
    worker = Worker(str(path), limits=Limits(call_s=5.0, sandbox="process"))
    try:
        handle = new(worker)
        hogs = worker.request("call", obj=handle.id, method="spawn_hogs").value
        with worker.paused():
            assert [process_state(pid) for pid in hogs] == ["T", "T"]
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(process_state(p) == "T" for p in hogs):
            time.sleep(0.01)  # SIGCONT lands within moments
        assert all(process_state(pid) in "RS" for pid in hogs)
    finally:
        worker.close()
    deadline = time.monotonic() + 5
    alive = list(hogs)
    while alive and time.monotonic() < deadline:  # SIGKILL lands within moments
        alive = [pid for pid in alive if _alive(pid)]
    assert not alive, [process_state(pid) for pid in alive]


def _alive(pid: int) -> bool:
    return process_state(pid) not in "ZX"  # a zombie is dead, waiting to be reaped


@pytest.mark.parametrize(
    "sandbox",
    [
        "process",
        pytest.param(
            "bwrap", marks=pytest.mark.skipif(not bwrap_works(), reason="no bubblewrap here")
        ),
    ],
)
def test_processes_forked_while_the_worker_is_ended_are_ended_too(
    tmp_path: Path, sandbox: str
) -> None:
    path = tmp_path / "thing.py"
    path.write_text(CANDIDATE)
    worker = Worker(str(path), limits=Limits(call_s=1.0, sandbox=sandbox))
    try:
        handle = new(worker)
        with pytest.raises(CallTimedOut):  # ended while it forks, each child its own session
            worker.request("call", obj=handle.id, method="fork_forever")
    finally:
        worker.close()
        deadline = time.monotonic() + 5
        left = _named("coach-test-fork")
        while left and time.monotonic() < deadline:  # SIGKILL lands within moments
            left = _named("coach-test-fork")
        for pid in left:  # a failure leaves nothing running
            os.kill(pid, signal.SIGKILL)
    assert not left, f"{len(left)} forked processes outlived the worker"
    assert worker.left_running > 10  # counted for the report's note


def _named(name: str) -> list[int]:
    """Live processes whose /proc/PID/comm is `name`."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/comm") as handle:
                if handle.read().strip() == name and _alive(int(entry)):
                    found.append(int(entry))
        except (OSError, ValueError):
            continue
    return found
