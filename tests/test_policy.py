"""SPEC.md's decision semantics, one case per rule, on the pure policy function."""

from mediacheck.matching import NOT_CHECKED, Match, MatchStatus
from mediacheck.policy import DEFAULT_POLICY, ChannelPolicy, ChannelStatus, FaceFacts, FaceVerdict, Policy, decide


def face(
    person: str | None = None, status: MatchStatus = MatchStatus.MATCHED, area: int = 100, visible: bool = True
) -> FaceFacts:
    return FaceFacts(visible, Match(status, person, 0.3 if person else None), area)


def test_r1_faces_not_clearly_visible_need_nothing() -> None:
    decisions = decide([face(None, MatchStatus.NOT_CHECKED, visible=False)], frozenset(), DEFAULT_POLICY)
    assert {d.status for d in decisions.values()} == {ChannelStatus.PUBLISHABLE}
    assert decisions["public"].verdicts == (FaceVerdict.NOT_CLEARLY_VISIBLE,)


def test_r2_consent_for_one_channel_never_counts_for_another() -> None:
    decisions = decide([face("anna")], frozenset({("anna", "protected")}), DEFAULT_POLICY)
    assert decisions["protected"].status is ChannelStatus.PUBLISHABLE
    assert decisions["public"].status is ChannelStatus.REDACTED
    assert decisions["public"].redact == (0,)


def test_r3_no_answer_is_no() -> None:
    decisions = decide([face("anna", area=50), face("bram", area=400)], frozenset({("bram", "public")}), DEFAULT_POLICY)
    assert decisions["public"].redact == (0,)
    assert decisions["public"].status is ChannelStatus.REDACTED


def test_r11_unknown_and_unchecked_faces_count_as_no_consent() -> None:
    faces = [face("anna", area=900), face(None, MatchStatus.UNKNOWN), FaceFacts(True, NOT_CHECKED, 100)]
    decisions = decide(faces, frozenset({("anna", "public")}), DEFAULT_POLICY)
    assert decisions["public"].redact == (1, 2)


def test_r15_unsure_face_sends_the_image_to_review_and_counts_as_no_consent() -> None:
    faces = [face("anna", area=900), face("bram", MatchStatus.UNSURE)]
    decisions = decide(faces, frozenset({("anna", "public"), ("bram", "public")}), DEFAULT_POLICY)
    assert decisions["public"].status is ChannelStatus.REVIEW
    assert decisions["public"].redact == (1,)
    assert not decisions["public"].may_go_out


def test_r13_facebook_blocks_when_the_unconsented_face_is_the_subject() -> None:
    everyone_but_anna = frozenset({("bram", "facebook"), ("cas", "facebook")})
    subject = decide([face("anna", area=900), face("bram"), face("cas")], everyone_but_anna, DEFAULT_POLICY)
    assert subject["facebook"].status is ChannelStatus.BLOCKED
    assert subject["public"].status is ChannelStatus.REDACTED, "public redacts, never blocks by default"
    background = decide([face("anna", area=50), face("bram", area=900), face("cas")], everyone_but_anna, DEFAULT_POLICY)
    assert background["facebook"].status is ChannelStatus.REDACTED


def test_r13_facebook_blocks_when_more_than_half_lack_consent() -> None:
    decisions = decide(
        [face("anna", area=900), face("bram"), face("cas")], frozenset({("anna", "facebook")}), DEFAULT_POLICY
    )
    assert decisions["facebook"].status is ChannelStatus.BLOCKED


def test_r13_a_blocking_channel_blocks_any_unconsented_face() -> None:
    policy = Policy((ChannelPolicy("public", unconsented="block"),))
    decisions = decide([face("anna", area=900), face("bram", area=10)], frozenset({("anna", "public")}), policy)
    assert decisions["public"].status is ChannelStatus.BLOCKED
