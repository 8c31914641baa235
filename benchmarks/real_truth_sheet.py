"""Draw the real-photo face truth onto copies of the photos, so a person can check it by eye.

    MEDIACHECK_SHARED=/path/to/shared python benchmarks/real_truth_sheet.py OUT_DIR [--photo NAME ...]

Colours: green a clearly visible face (its number; "c" marks a child), orange a face that is not
clearly visible, red a decoy (a dog, painting, figurine or print that must not count as a face),
grey an ignore region. The copies go to OUT_DIR, never back into the shared folder or the project.
"""

import argparse
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from benchmarks.real_photos_score import TRUTH, load_truth, real_photos_dir

VISIBLE, HIDDEN, DECOY, IGNORE = "#00e000", "#ff9900", "#ff0000", "#a0a0a0"


def sheet(photo: Path, truth: dict) -> Image.Image:
    """The photo with every truth box drawn; line width and labels grow with the photo."""
    image = Image.open(photo).convert("RGB")
    draw = ImageDraw.Draw(image)
    width = max(1, max(image.size) // 700)
    font = ImageFont.load_default(size=max(10, max(image.size) // 90))
    for region in truth["ignore"]:
        draw.rectangle(region["box"], outline=IGNORE, width=width)
    for decoy in truth["decoys"]:
        _labelled(draw, decoy["box"], decoy["what"], DECOY, width, font)
    for number, face in enumerate(truth["faces"]):
        label = f"{number}{'c' if face['child'] else ''}"
        _labelled(draw, face["box"], label, VISIBLE if face["clearly_visible"] else HIDDEN, width, font)
    return image


def _labelled(draw: ImageDraw.ImageDraw, box: list[int], label: str, colour: str, width: int, font) -> None:
    draw.rectangle(box, outline=colour, width=width)
    draw.text((box[0], max(0, box[1] - font.size - 2)), label, fill=colour, font=font)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder for the drawn copies (created)")
    parser.add_argument("--photo", action="append", help="only this photo (repeatable)")
    parser.add_argument("--truth", type=Path, default=TRUTH, help="truth file (default: %(default)s)")
    args = parser.parse_args()
    truth = load_truth(args.truth)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.photo or sorted(truth):
        target = args.out / f"{Path(name).stem}_truth.png"
        sheet(real_photos_dir() / name, truth[name]).save(target)
        print(target)


if __name__ == "__main__":
    main()
