"""Verdicts reached outside the student's kernel: the wire carries only plain data, the
answer key's plan is replayed on the student's answers, and the grader's own check decides."""

import json

import numpy as np
import pytest

from dlcourse.checks import core, probe, wire
from dlcourse.grading import judge
from tests.check_tools import judged_outside

ROUND_TRIP = [
    None, True, 3, -2.5, float("nan"), float("inf"), 1 + 2j, "text", [1, [2, 3]], (1.0, "a"),
    {"w": np.arange(3.0), 2: (np.float32(1.5), np.int64(7))}, np.zeros((2, 0)),
    np.array([[1, 2]], dtype=np.uint8), np.array(True),
]


@pytest.mark.parametrize("value", ROUND_TRIP, ids=repr)
def test_plain_values_cross_the_wire_unchanged(value):
    back = wire.decode(json.loads(json.dumps(wire.pack(value))))
    assert type(back) is type(value)
    assert wire.same(wire.encode(back), wire.encode(value))


def test_callbacks_and_generators_cross_by_name_and_state():
    from dlcourse.checks import ch04

    rng = np.random.default_rng(5)
    packed = json.loads(json.dumps(wire.pack([ch04._square, np.sin, rng])))
    square, sin, copy = wire.decode(packed, functions="import")
    assert square is ch04._square and sin is np.sin
    assert copy.integers(1000, size=4).tolist() == rng.integers(1000, size=4).tolist()
    assert wire.decode(packed)[0] == "dlcourse.checks.ch04:_square"  # the grader never imports it


def test_what_is_not_plain_data_arrives_as_a_stand_in_no_check_accepts():
    class Anything(float):
        def __eq__(self, other):
            return True

    objects = wire.decode(wire.pack([Anything(1.0), np.array([object()]), lambda: 1, print]))
    assert all(isinstance(o, wire.Opaque) for o in objects)
    assert type(objects[0]).__name__ == "Anything"
    with pytest.raises(core.CheckFailure, match="returned a Anything"):
        core.expect_close(objects[0], 1.0, "`f`")


@pytest.mark.parametrize("packed, reason", [
    ({"tree": {"$array": 0}, "arrays": "not base64!"}, "unreadable arrays"),
    ({"tree": {"$array": 3}, "arrays": ""}, "out of range"),
    ({"tree": {"$eval": "__import__('os')"}, "arrays": ""}, "unknown tag"),
    ({"tree": {"$function": "os:system"}, "arrays": ""}, "not a dlcourse function"),
    ({"tree": [[[[[[]]]]]] * 1, "arrays": "", "extra": 1}, "not a packed value"),
])
def test_malformed_or_hostile_data_is_refused(packed, reason):
    with pytest.raises(wire.WireError, match=reason):
        wire.decode(packed, functions="import")


def test_a_pickled_array_is_refused():
    import base64
    import io

    buffer = io.BytesIO()
    np.savez(buffer, np.array([object()], dtype=object))
    packed = {"tree": {"$array": 0}, "arrays": base64.b64encode(buffer.getvalue()).decode()}
    with pytest.raises(wire.WireError):
        wire.decode(packed)


def _relu(x):
    return np.maximum(x, 0)


TOY = ("from dlcourse.checks.core import Case, check_function\nimport numpy as np\n"
       "from dlcourse.functional import activations as F\n"
       "check_function(relu, F.relu, [Case((np.array([-1.0, 2.0]),)), Case((np.array([3.0]),))])")


def test_right_answers_pass_and_wrong_ones_fail_whatever_the_kernel_says():
    assert judged_outside(TOY, {"relu": _relu}).outcome == "pass"
    wrong = judged_outside(TOY, {"relu": lambda x: x}, answers_from={"relu": _relu})
    assert wrong.points == 0 and "expected 0, got -1" in wrong.message


def test_a_function_that_calls_the_reference_fails_even_without_the_trip_wire():
    from dlcourse.functional import activations as F

    def sneaky(x):
        import sys
        getattr(sys, "set" + "profile")(None)
        return F.relu(x)

    verdict = judged_outside(TOY, {"relu": sneaky}, answers_from={"relu": _relu})
    assert verdict.points == 0 and "switch off" in verdict.message


def test_missing_answers_score_zero_and_say_why():
    plan_holder, namespace = [], {"relu": _main(_relu)}
    with probe.recording(namespace, ["relu"], "t", send=plan_holder.append):
        exec(compile(TOY, "cell", "exec"), namespace)
    plan = plan_holder[0]["plan"]
    verdict = judge.judge(TOY, plan, {}, 1, missing="the cell ran out of time")
    assert verdict.points == 0 and "ran out of time" in verdict.message


def test_partial_credit_comes_from_the_check_and_is_clamped():
    source = ("from dlcourse.checks.core import Part, graded_parts\n"
              "graded_parts([Part('a', 1, lambda: None), Part('b', 5, lambda: None)])")
    verdict = judge.judge(source, {"calls": [], "forbidden": []}, {}, 3)
    assert (verdict.points, verdict.outcome) == (3.0, "pass")
    half = judge.judge("0.5", {"calls": [], "forbidden": []}, {}, 2)
    assert (half.points, half.outcome) == (0.5, "partial")


def test_answers_to_other_questions_are_not_accepted():
    # answers given for calls with other arguments than the plan's cannot be replayed
    plan = {"calls": [{"name": "relu", "args": wire.pack([np.array([9.0])]), "kwargs": wire.pack({}),
                       "forbidden": 0}], "forbidden": [[]], "students": ["relu"],
            "context": {}}
    plan["context"] = {"Case": {"object": "dlcourse.checks.core:Case"},
                       "check_function": {"object": "dlcourse.checks.core:check_function"},
                       "np": {"module": "numpy"}, "F": {"module": "dlcourse.functional.activations"}}
    verdict = judge.judge(TOY.split("\n")[-1], plan, {0: wire.pack(np.array([0.0, 2.0]))}, 1)
    assert verdict.points == 0 and "did not prepare" in verdict.message


def _main(fn):
    from tests.check_tools import as_notebook_function

    return as_notebook_function(fn)


def test_probe_and_recording_cells_carry_no_test_code():
    source = "from dlcourse.checks import ch01\nch01.mcculloch_pitts(mcculloch_pitts, hidden=True)"
    probe_cell = judge.probe_source({"calls": [], "forbidden": []}, "abc")
    assert "hidden" not in probe_cell and "ch01" not in probe_cell
    assert source.splitlines()[1] in judge.recording_source(source, "abc")
