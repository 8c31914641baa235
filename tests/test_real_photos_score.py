"""The real-photo scorer counts what R1 cares about: every clearly visible face found, nothing else reported."""

from benchmarks.real_photos_score import score

TRUTH = {
    "group.jpg": {
        "size": [400, 300],
        "faces": [
            {"box": [10, 10, 60, 70], "clearly_visible": True},
            {"box": [100, 10, 150, 70], "clearly_visible": True},
            {"box": [200, 10, 215, 28], "clearly_visible": False},
        ],
        "decoys": [{"box": [300, 100, 380, 200], "what": "dog"}],
        "ignore": [{"box": [0, 250, 400, 300], "why": "far crowd"}],
        "sharp": True,
    }
}


def test_r1_scorer_counts_found_missed_false_decoy_and_split_faces() -> None:
    detections = {
        "group.jpg": [
            [12, 12, 58, 68],  # the first face
            [20, 30, 50, 60],  # a second box on it, centre inside: a split
            [200, 10, 214, 27],  # the face that is not clearly visible: neither rewarded nor penalised
            [310, 120, 370, 190],  # the dog
            [50, 260, 70, 280],  # inside the ignore region
            [250, 150, 280, 180],  # nothing there
        ]
    }
    result = score(detections, TRUTH)
    photo = result["photos"]["group.jpg"]
    assert (photo["visible"], photo["found"], photo["missed"]) == (2, 1, [[100, 10, 150, 70]])
    assert (photo["false_faces"], photo["decoys"], photo["splits"], photo["other_found"]) == (1, 1, 1, 1)
    assert result["total"]["recall"] == 0.5


def test_r1_a_photo_without_detections_finds_nothing() -> None:
    result = score({}, TRUTH)
    assert result["total"]["found"] == 0 and result["total"]["false_faces"] == 0
