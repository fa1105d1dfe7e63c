"""Spec loading: every shipped spec loads; each kind of mistake gives its message."""

from pathlib import Path

import pytest
import yaml

from posecheck.spec import (
    SpecError,
    list_specs,
    load_spec,
    load_spec_file,
    parse_condition,
    spec_ids,
    specs_dir,
)

BRIDGE = yaml.safe_load((specs_dir() / "bridge.yaml").read_text())


def test_every_shipped_spec_loads():
    specs = list_specs()
    assert {s.id for s in specs} >= {"bridge", "knee_to_chest"}
    for s in specs:
        assert s.cues or s.rep_cues, s.id
        # texts a person reads come without the newline a YAML folded block ends in
        assert s.view_note == s.view_note.strip() and s.summary == s.summary.strip(), s.id


def test_unknown_exercise_lists_the_valid_ids():
    with pytest.raises(
        ValueError, match=r"unknown exercise 'brdge'; did you mean bridge\?.*valid ids: .*bridge"
    ):
        load_spec("brdge")
    assert "bridge" in spec_ids()


@pytest.mark.parametrize(
    "given, loads",
    [
        ("knee_to_chest", "knee_to_chest"),
        ("Knee to chest", "knee_to_chest"),
        ("knee-to-chest", "knee_to_chest"),
        ("KNEE_TO_CHEST", "knee_to_chest"),
        (" Bridge ", "bridge"),
        ("Child's pose", "child_pose"),
        ("Child’s pose", "child_pose"),  # as macOS types the apostrophe
        ("Cat–cow", "cat_cow"),  # and the dash
        ("cat cow", "cat_cow"),
        ("Bridge pose", "bridge"),  # as the article names them (the specs' aliases)
        ("Knee to chest stretch", "knee_to_chest"),
        ("Cat-cow stretch", "cat_cow"),
        ("childs pose", "child_pose"),
        ("spinal twist", "spine_twist"),
        ("lower trunk rotation", "spine_twist"),
        ("pelvic tilts", "pelvic_tilt"),  # in the plural
        ("bridges", "bridge"),
        ("hamstring stretches", "hamstring_stretch"),
        ("squat", None),
        ("chld pose", None),  # suggested
        ("../exercise_specs/bridge", None),  # ids, not paths
    ],
)
def test_an_exercise_is_named_as_a_person_writes_it(given, loads):
    if loads:
        assert load_spec(given).id == loads
    else:
        with pytest.raises(ValueError, match="unknown exercise"):
            load_spec(given)


def _with(path_keys, value):
    data = yaml.safe_load(yaml.safe_dump(BRIDGE))
    node = data
    for k in path_keys[:-1]:
        node = node[k]
    if value is KeyError:
        del node[path_keys[-1]]
    else:
        node[path_keys[-1]] = value
    return data


@pytest.mark.parametrize(
    "keys, value, message",
    [
        (["viewe"], "side", r"bridge\.yaml: unknown key 'viewe'; did you mean 'view'\?"),
        (["aliases"], "glute bridge", r"aliases: expected a list of other names"),
        (["view"], "top", r"bridge\.yaml\.view='top': allowed values are side, front, any"),
        (["joints"], ["shoulder", "hipp"], r"joints\[1\]: unknown landmark 'hipp'.*'hip'"),
        (
            ["measures", "hip_line"],
            {"angle": ["shoulder", "hip"]},
            r"measures\.hip_line\.angle=.*expected a list of 3",
        ),
        (
            ["measures", "hip_line"],
            {"angel": ["shoulder", "hip", "knee"]},
            r"unknown key 'angel'; did you mean 'angle'\?",
        ),
        (
            ["measures", "hip_line"],
            {"angle": ["shoulder", "hip", "left_kneee"]},
            r"unknown landmark 'left_kneee'; did you mean left_knee",
        ),
        (
            ["start", "position"],
            ["hip_line >> 3"],
            r"start\.position\[0\]: cannot read condition 'hip_line >> 3'",
        ),
        (
            ["start", "position"],
            ["hip_lin < 150"],
            r"uses unknown measure 'hip_lin'; did you mean 'hip_line'\?",
        ),
        (
            ["start", "position"],
            ["hip_line < 150 or hip_lin > 170"],
            r"uses unknown measure 'hip_lin'; did you mean 'hip_line'\?",
        ),
        (
            ["start", "position"],
            ["hip_line < 150 or"],
            r"cannot read condition 'hip_line < 150 or'",
        ),
        (
            ["measures", "hip_line"],
            {"angle": ["shoulder", "hip", "knee"], "sides": "both"},
            r"measures\.hip_line\.sides='both': allowed values are each, mean, min, max",
        ),
        (
            ["measures", "hip_line"],
            {"angle": ["left_shoulder", "left_hip", "left_knee"], "sides": "mean"},
            r"measures\.hip_line\.sides: 'mean' needs side-less joints like 'hip'",
        ),
        (
            ["measures", "hip_line"],
            {"angle": ["shoulder", "hip", "knee"], "peak_when": ["knee_bend < 100"]},
            r"measures\.hip_line\.peak_when: only a 'from_start: peak_ratio' measure",
        ),
        (
            ["count", "reps", "require"],
            ["feet_up < 0.2"],
            r"count\.reps\.require.*unknown measure 'feet_up'",
        ),
        (["start", "position"], ["__import__('os') < 1"], r"cannot read condition"),
        (["start", "message"], KeyError, r"start: missing required key 'message'"),
        (
            ["count", "reps", "direction"],
            "sideways",
            r"direction='sideways': allowed values are up, down",
        ),
        (["count", "reps", "rest"], 170, r"thresholds out of order for direction 'up'"),
        (
            ["count", "reps", "min_phase_s"],
            9,
            r"'.*min_phase_s=9': valid values are between 0.0 and 5.0",
        ),
        (["count", "reps", "partial_cue"], "nope", r"partial_cue='nope': no cue has that id"),
        (
            ["count", "reps", "rest_partial_cue"],
            "hips_higher",
            r"rest_partial_cue: only an alternating movement.*'alternating: true'",
        ),
        (
            ["cues", 0, "phases"],
            ["flying"],
            r"phases='flying': allowed phases for reps are rest, rising, top, lowering",
        ),
        (["cues", 0, "priority"], "high", r"priority='high': expected a number"),
        (
            ["rep_cues", 0, "when"],
            "cycle < 2",
            r"uses unknown measure 'cycle'; did you mean 'cycle_s'\?",
        ),
        (["id"], "bridges", r"id='bridges' must match the file name \('bridge'\)"),
        (
            ["count", "reps", "by_view"],
            {"sid": {"top_enter": 170}},
            r"by_view: unknown key 'sid'; did you mean 'side'\?",
        ),
        (
            ["count", "reps", "by_view"],
            {"side": {"top_entre": 170}},
            r"by_view\.side: unknown key 'top_entre'; did you mean 'top_enter'\?",
        ),
        (
            ["count", "reps", "by_view"],
            {"side": {"top_enter": 150}},
            r"by_view\.side: thresholds out of order .*top_enter=150",
        ),
        (["not_checked"], "elbows", r"not_checked: expected a list of cue messages"),
    ],
)
def test_bad_spec_gives_its_message(tmp_path: Path, keys, value, message):
    path = tmp_path / "bridge.yaml"
    path.write_text(yaml.safe_dump(_with(keys, value)))
    with pytest.raises(SpecError, match=message):
        load_spec_file(path)


def test_thresholds_by_view():
    reps = load_spec("bridge").reps
    assert (reps.for_view("side").top_enter, reps.for_view("side").rest) == (170, 148)
    assert reps.for_view("oblique").top_enter == reps.top_enter == 163
    assert reps.for_view("unknown") is reps


def test_not_yaml_names_the_line(tmp_path: Path):
    path = tmp_path / "bridge.yaml"
    path.write_text("id: bridge\nname: [unclosed\n")
    with pytest.raises(SpecError, match=r"bridge\.yaml \(line \d+\): not valid YAML"):
        load_spec_file(path)


def test_a_ninth_exercise_needs_only_yaml(tmp_path: Path, monkeypatch):
    data = _with(["id"], "glute_lift")
    data["name"] = "Glute lift"
    (tmp_path / "glute_lift.yaml").write_text(yaml.safe_dump(data))
    monkeypatch.setenv("POSECHECK_SPECS", str(tmp_path))
    assert load_spec("glute_lift").name == "Glute lift"


KNEE = yaml.safe_load((specs_dir() / "knee_to_chest.yaml").read_text())


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("resume_s", 60, r"resume_s=60': valid values are between 0.0 and 30.0"),
        ("resume_s", "long", r"resume_s='long': expected a number"),
        ("resume", 3, r"count\.hold: unknown key 'resume'; did you mean 'resume_s'\?"),
    ],
)
def test_bad_hold_pause_gives_its_message(tmp_path: Path, key, value, message):
    data = yaml.safe_load(yaml.safe_dump(KNEE))
    data["count"]["hold"][key] = value
    path = tmp_path / "knee_to_chest.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(SpecError, match=message):
        load_spec_file(path)


@pytest.mark.parametrize(
    "key, value, attribute, expected, message",
    [
        ("view_checked", None, "view_checked", "throughout", None),  # the default
        ("view_checked", "at_start", "view_checked", "at_start", None),
        ("view_checked", "at start", None, None,
         r"view_checked='at start': allowed values are throughout, at_start"),
        # the default: the smoother follows a leg handed across
        ("smoothing", None, "follow_swapped_legs", True, None),
        ("smoothing", {"swapped_legs": "follow"}, "follow_swapped_legs", True, None),
        ("smoothing", {"swapped_legs": "average"}, "follow_swapped_legs", False, None),
        ("smoothing", {"swapped_legs": "blend"}, None, None,
         r"swapped_legs='blend': allowed values are follow"),
        ("smoothing", {"swaped_legs": "average"}, None, None, r"did you mean 'swapped_legs'\?"),
    ],
)  # fmt: skip
def test_options_of_the_whole_spec(tmp_path: Path, key, value, attribute, expected, message):
    data = yaml.safe_load(yaml.safe_dump(KNEE))
    data.pop(key, None)
    if value is not None:
        data[key] = value
    path = tmp_path / "knee_to_chest.yaml"
    path.write_text(yaml.safe_dump(data))
    if message:
        with pytest.raises(SpecError, match=message):
            load_spec_file(path)
    else:
        assert getattr(load_spec_file(path), attribute) == expected


@pytest.mark.parametrize(
    "settle, message",
    [
        ({"measure": "knee_hug"}, r"count\.hold\.settle: give 'within' .*'share'"),
        ({"measure": "knee_hugg", "within": 5}, r"settle\.measure='knee_hugg': must name one"),
        ({"measure": "knee_hug", "share": 0.9}, r"settle\.share=0\.9': valid values are between"),
    ],
)
def test_bad_hold_settle_gives_its_message(tmp_path: Path, settle, message):
    data = yaml.safe_load(yaml.safe_dump(KNEE))
    data["count"]["hold"]["settle"] = settle
    path = tmp_path / "knee_to_chest.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(SpecError, match=message):
        load_spec_file(path)


TWIST = yaml.safe_load((specs_dir() / "spine_twist.yaml").read_text())


@pytest.mark.parametrize(
    "near_when, values, near",
    [
        # a threshold on near_measure (knee_rel), or a whole condition on the near side
        ("< 0.45", {"knee_rel": 0.3}, True),
        ("< 0.45", {"knee_rel": 0.6}, False),
        ("x < 0.45", {"knee_rel": 0.3}, True),
        ("knee_rel < 0.45 or shin_scale > 0.97", {"knee_rel": 0.7, "shin_scale": 1.1}, True),
        ("knee_rel < 0.45 or shin_scale > 0.97", {"knee_rel": 0.7, "shin_scale": 0.9}, False),
    ],
)
def test_near_when_forms(tmp_path: Path, near_when, values, near):
    data = yaml.safe_load(yaml.safe_dump(TWIST))
    data["sides"]["near_when"] = near_when
    path = tmp_path / "spine_twist.yaml"
    path.write_text(yaml.safe_dump(data))
    assert load_spec_file(path).sides.near_when.judge(values.get) is near


def test_near_when_names_an_unknown_measure(tmp_path: Path):
    data = yaml.safe_load(yaml.safe_dump(TWIST))
    data["sides"]["near_when"] = "knee_rel < 0.45 or shin_scal > 0.97"
    path = tmp_path / "spine_twist.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(SpecError, match=r"near_when: .*unknown measure 'shin_scal'; did you"):
        load_spec_file(path)


def test_a_drift_from_the_hold_needs_a_hold(tmp_path: Path):
    data = yaml.safe_load(yaml.safe_dump(BRIDGE))
    data["measures"]["drift"] = {"height": ["shoulder", "ear"], "from_hold": "difference"}
    path = tmp_path / "bridge.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(SpecError, match=r"measures\.drift: from_hold needs a hold to count"):
        load_spec_file(path)


@pytest.mark.parametrize(
    "measure, message",
    [
        ({"height": ["shoulder", "ear"], "from_hold": "difference", "from_start": "difference"},
         r"arm: give from_start or from_hold, not both"),
        ({"height": ["shoulder", "ear"], "from_hold": "ratio"},
         r"from_hold='ratio': allowed values are difference"),
        ({"height": ["shoulder", "ear"], "scale": "begin"},
         r"scale='begin': allowed values are frame, start"),
        ({"height": ["shoulder", "ear"], "hidden": "yes"}, r"hidden='yes': expected true or false"),
        ({"angle": ["shoulder", "elbow", "wrist", "ear"]}, r"expected a list of 3 joint"),
    ],
)  # fmt: skip
def test_bad_measure_options_give_their_message(tmp_path: Path, measure, message):
    data = yaml.safe_load(yaml.safe_dump(TWIST))
    data["measures"]["arm"] = measure
    path = tmp_path / "spine_twist.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(SpecError, match=message):
        load_spec_file(path)


def test_settings_for_another_view_replace_only_the_keys_given():
    twist = load_spec("spine_twist")
    front = twist.for_view("front")
    assert (front.view, front.id, front.cues[0].id) == ("front", "spine_twist", "knees_together")
    assert front.sides.measure == "knee_across" and front.sides.near_when is None  # ~ removes
    assert front.hold.min_hold_s == twist.hold.min_hold_s  # merged key by key
    assert front.hold.position != twist.hold.position
    assert twist.for_view("side") is twist.for_view("oblique") is twist
    assert load_spec("bridge").for_view("front").view == "side"  # none: its own


@pytest.mark.parametrize(
    "by_view, message",
    [
        ({"font": {}}, r"spine_twist\.yaml\.by_view: unknown key 'font'; did you mean 'front'\?"),
        ({"side": {}}, r"by_view: unknown key 'side'; allowed: front"),  # its own view
        ({"front": "above"}, r"by_view\.front: expected a mapping"),
        ({"front": {"id": "twist"}}, r"by_view\.front: 'id' is the same in every view"),
        ({"front": {"start": {"position": "knee_bnd < 135"}}},
         r"by_view\.front\.start\.position: .*unknown measure 'knee_bnd'; did you mean"),
        ({"front": {"sides": {"measure": "knee_acros"}}},
         r"by_view\.front\.sides\.measure='knee_acros'"),
    ],
)  # fmt: skip
def test_bad_settings_for_another_view_give_their_message(tmp_path: Path, by_view, message):
    data = yaml.safe_load(yaml.safe_dump(TWIST))
    data["by_view"] = by_view
    path = tmp_path / "spine_twist.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(SpecError, match=message):
        load_spec_file(path)


NAN = float("nan")


@pytest.mark.parametrize(
    "text, value, expected",
    [
        ("knee_gap < 0.8", 0.5, True),
        ("knee_gap < 0.8", 0.9, False),
        ("knee_gap < 0.8", NAN, None),  # unknown: the whole test is unknown
        ("knee_gap < 0.8 (if seen)", 0.5, True),
        ("knee_gap < 0.8 (if seen)", 0.9, False),
        ("knee_gap < 0.8 (if seen)", NAN, True),  # cannot be seen: passes
        ("0.57 <= near.knee_rel < 0.88 (if seen)", 0.57, True),
        ("0.57 <= near.knee_rel < 0.88 (if seen)", 0.88, False),
    ],
)
def test_condition(text, value, expected):
    assert parse_condition(text, "test").test(value) is expected


OR_CASES = [
    # condition, a's value, b's value, result
    ("a > 1 or b > 2", 2, 0, True),
    ("a > 1 or b > 2", 0, 3, True),
    ("a > 1 or b > 2", 0, 0, False),
    ("a > 1 or b > 2", NAN, 3, True),  # one passing is enough
    ("a > 1 or b > 2", NAN, 0, None),  # the unknown one might pass
    ("a > 1 or b > 2 (if seen)", 0, NAN, True),
    ("a > 1 or   b > 2", 0, 3, True),
]


@pytest.mark.parametrize("text, a, b, expected", OR_CASES)
def test_condition_or(text, a, b, expected):
    c = parse_condition(text, "test")
    assert c.base_measures == ("a", "b")
    assert c.judge({"a": a, "b": b}.get) is expected


def test_condition_if_seen_keeps_its_measure():
    c = parse_condition("0.57 <= near.knee_rel < 0.88 (if seen)", "test")
    assert (c.measure, c.base_measure, c.if_seen) == ("near.knee_rel", "knee_rel", True)
    with pytest.raises(SpecError, match="cannot read condition"):
        parse_condition("knee_gap < 0.8 (if hidden)", "test")


@pytest.mark.parametrize(
    "anchor, message",
    [
        ("hip", r"sides\.anchor='hip': must be a limb joint of the spec's joints \(knee, ankle\)"),
        ("wrist", r"sides\.anchor='wrist': must be a limb joint"),
        ("ankle", None),
    ],
)
def test_sides_anchor_is_a_limb_joint_of_the_spec(tmp_path: Path, anchor, message):
    data = yaml.safe_load((specs_dir() / "hamstring_stretch.yaml").read_text())
    data["sides"]["anchor"] = anchor
    path = tmp_path / "hamstring_stretch.yaml"
    path.write_text(yaml.safe_dump(data))
    if message is None:
        assert load_spec_file(path).sides.anchor == anchor
    else:
        with pytest.raises(SpecError, match=message):
            load_spec_file(path)
