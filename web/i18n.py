"""The consent page's words in Dutch and English, and which of the two a visitor gets.

Only the parent page is bilingual: parents are the audience who may not read Dutch. The consent
texts themselves (R4) come from the records, in the language chosen, never from here.
"""

from fastapi import Request

from mediacheck.gallery import NOTE_WORDS, ReferenceNote
from models.rights_service import ErasureReport

LANGUAGES = ("nl", "en")
DEFAULT = "nl"
COOKIE = "mc_lang"

WORDS: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Toestemming voor foto's en video's",
        "intro": "De school maakt foto's en video's bij activiteiten. Kies hieronder per kanaal of {name} daarop "
        "herkenbaar te zien mag zijn. Zonder 'Ja' geeft u geen toestemming: dan maakt de school het gezicht "
        "van {name} onherkenbaar of plaatst de foto niet.",
        "intro_student": "De school maakt foto's en video's bij activiteiten. Kies hieronder per kanaal of je daarop "
        "herkenbaar te zien mag zijn. Zonder 'Ja' geef je geen toestemming: dan maakt de school je gezicht "
        "onherkenbaar of plaatst de foto niet.",
        "face-matching": "Gezichtsherkenning",
        "face-matching_explained": "De school herkent {name} op foto's aan de hand van een portretfoto, om te "
        "controleren of een foto geplaatst mag worden. Zonder deze toestemming wordt {name} nooit herkend en "
        "dus op elke foto onherkenbaar gemaakt.",
        "protected": "Afgeschermde ouderpagina",
        "public": "Openbare website",
        "facebook": "Facebook",
        "yes": "Ja, dat mag",
        "no": "Nee",
        "now_yes": "Nu: toestemming gegeven op {date}",
        "now_no": "Nu: geen toestemming (sinds {date})",
        "now_expired": "Nu: geen toestemming (verlopen op {date})",
        "never": "Nog niet beantwoord: dat telt als geen toestemming",
        "text": "De tekst waarmee u instemt (versie {version})",
        "save": "Opslaan",
        "saved": "Opgeslagen op {time}.",
        "nothing_changed": "Er is niets veranderd.",
        "change_again": "U kunt dit altijd weer wijzigen via dezelfde link.",
        "takedown": "U hebt de toestemming ingetrokken voor: {purposes}. De school haalt wat al geplaatst is en "
        "waarop {name} herkenbaar is daar weg; dat is nu in gang gezet. Het mag alleen onherkenbaar gemaakt "
        "terugkomen.",
        "back": "Terug naar de keuzes",
        "form_expired": "Dit formulier is verlopen. Laad de pagina opnieuw en kies nog eens.",
        "text_changed": "De tekst van de toestemming is net gewijzigd. Lees de nieuwe tekst en sla opnieuw op.",
        "refused": "Dit kon niet worden opgeslagen. Vanaf 16 jaar beslist de leerling zelf; neem bij vragen "
        "contact op met de school.",
        "invalid_title": "Deze link werkt niet",
        "invalid": "Deze link is onbekend, verlopen of ingetrokken. Vraag de school om een nieuwe link.",
        "slow_down": "Te veel pogingen met een onbekende link. Probeer het over {minutes} minuten opnieuw.",
        "switch": "English",
        "privacy": "Alleen de school ziet uw keuzes. Elke wijziging wordt met tijdstip vastgelegd.",
    },
    "en": {
        "title": "Consent for photos and videos",
        "intro": "The school takes photos and videos at events. Choose below, per channel, whether {name} may be "
        "recognisable there. Without 'Yes' you give no consent: the school then hides {name}'s face or does "
        "not post the photo.",
        "intro_student": "The school takes photos and videos at events. Choose below, per channel, whether you may "
        "be recognisable there. Without 'Yes' you give no consent: the school then hides your face or does not "
        "post the photo.",
        "face-matching": "Face recognition",
        "face-matching_explained": "The school recognises {name} in photos from a portrait photo, to check "
        "whether a photo may be posted. Without this consent {name} is never recognised, and so hidden in "
        "every photo.",
        "protected": "Protected parent site",
        "public": "Public website",
        "facebook": "Facebook",
        "yes": "Yes, allowed",
        "no": "No",
        "now_yes": "Now: consent given on {date}",
        "now_no": "Now: no consent (since {date})",
        "now_expired": "Now: no consent (expired on {date})",
        "never": "Not answered yet: that counts as no consent",
        "text": "The text you agree to (version {version})",
        "save": "Save",
        "saved": "Saved at {time}.",
        "nothing_changed": "Nothing changed.",
        "change_again": "You can change this at any time through the same link.",
        "takedown": "You withdrew consent for: {purposes}. The school takes down what was already posted there "
        "in which {name} is recognisable; that is under way now. It may only come back with {name} hidden.",
        "back": "Back to the choices",
        "form_expired": "This form has expired. Please reload the page and choose again.",
        "text_changed": "The consent text has just changed. Please read the new text and save again.",
        "refused": "This could not be saved. From the age of 16 the student decides; please contact the school "
        "with any questions.",
        "invalid_title": "This link does not work",
        "invalid": "This link is unknown, expired or revoked. Please ask the school for a new link.",
        "slow_down": "Too many attempts with an unknown link. Please try again in {minutes} minutes.",
        "switch": "Nederlands",
        "privacy": "Only the school sees your choices. Every change is recorded with its time.",
    },
}


ERASURE: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Wat de school heeft gewist en wat bewaard blijft",
        "removed": "Gewist",
        "kept": "Bewaard, en waarom",
        "removed.reference_photos": "portretfoto's voor gezichtsherkenning, met wat daaruit berekend is",
        "removed.recognitions": "keer dat de leerling op een foto of video herkend was",
        "removed.media_deleted": "foto's en video's waarop verder niemand duidelijk te zien is",
        "removed.file_names": "bestandsnamen die konden zeggen wie erop staat (nu alleen een nummer)",
        "removed.guardians": "ouders of verzorgers zonder ander kind op school (naam en e-mailadres)",
        "removed.consent_links": "persoonlijke toestemmingslinks, nu uitgeschakeld",
        "kept.media_with_others": "foto's en video's waarop ook anderen staan",
        "why.media_with_others": "er staan ook andere kinderen op. Het gezicht van de leerling wordt daarop altijd "
        "onherkenbaar gemaakt, is niet meer aan de leerling gekoppeld, en de bestandsnaam zegt niet meer wie "
        "erop staat.",
        "kept.media_published": "foto's en video's die gepubliceerd zijn",
        "why.media_published": "de school moet kunnen laten zien wat zij publiceerde en een kopie die nog online "
        "staat kunnen weghalen. Het gezicht van de leerling wordt daarop altijd onherkenbaar gemaakt.",
        "kept.consent_events": "toestemmingskeuzes",
        "why.consent_events": "ze bewijzen dat de school toestemming had voor wat zij eerder publiceerde. Er "
        "staat nu een code in plaats van de naam van de leerling.",
        "kept.consent_links": "uitgeschakelde toestemmingslinks",
        "why.consent_links": "de keuzes die via een link zijn gemaakt verwijzen ernaar; een uitgeschakelde link "
        "opent niets meer.",
        "kept.audit_entries": "regels in het logboek van wie wat heeft bekeken of veranderd",
        "why.audit_entries": "de school moet dit logboek bewaren en mag het niet veranderen. Er staat een code "
        "in, niet de naam van de leerling.",
    },
    "en": {
        "title": "What the school erased and what it keeps",
        "removed": "Erased",
        "kept": "Kept, and why",
        "removed.reference_photos": "reference photos with their templates for face recognition",
        "removed.recognitions": "times the student was recognised in a photo or video",
        "removed.media_deleted": "photos and videos in which nobody else is clearly visible",
        "removed.file_names": "file names that could say who is in the photo (now only a number)",
        "removed.guardians": "parents or guardians with no other child at the school (name and email)",
        "removed.consent_links": "personal consent links, now switched off",
        "kept.media_with_others": "photos and videos that also show other people",
        "why.media_with_others": "other children are in them too. The student's face is always made "
        "unrecognisable in them, is no longer linked to the student, and the file name no longer says who is "
        "in them.",
        "kept.media_published": "photos and videos that were published",
        "why.media_published": "the school must be able to show what it published and take down a copy that is "
        "still online. The student's face is always made unrecognisable in them.",
        "kept.consent_events": "consent choices",
        "why.consent_events": "they prove that the school had permission for what it published before. They "
        "now carry a code instead of the student's name.",
        "kept.consent_links": "switched-off consent links",
        "why.consent_links": "the choices made through a link refer to it; a switched-off link opens nothing.",
        "kept.audit_entries": "entries in the log of who saw or changed what",
        "why.audit_entries": "the school must keep this log and may not change it. It carries a code, not the "
        "student's name.",
    },
}
"""The erasure summary (R12), for staff to read and to give to the parent or student in their language."""


ENROLMENT: dict[str, dict[str, str]] = {
    "nl": {
        "others_ignored": "{photo}: alleen het grootste gezicht is opgeslagen; {faces} veel kleiner(e) gezicht(en) "
        "op de foto genegeerd",
        "similar_faces": "{photo}: {faces} gezichten van ongeveer dezelfde grootte: gebruik een foto waarop alleen "
        "deze leerling staat",
        "no_face": "{photo}: geen duidelijk zichtbaar gezicht: gebruik een foto waarop het gezicht groot, scherp en "
        "van voren te zien is",
        "unreadable": "{photo}: dit bestand is niet als foto te openen (beschadigd, leeg, te groot of geen "
        "ondersteund formaat)",
        "refused": "Niets opgeslagen. Niet bruikbaar als portretfoto: {notes}",
        "enrolled": "{count} portretfoto('s) opgeslagen.",
    },
    "en": NOTE_WORDS
    | {
        "refused": "Nothing enrolled. Not usable as a reference photo: {notes}",
        "enrolled": "{count} reference photo(s) enrolled.",
    },
}
"""What staff read about reference photos they enrol: refused, or enrolled with other faces ignored."""


def enrolment_note(note: ReferenceNote, lang: str) -> str:
    return ENROLMENT[lang][note.reason].format(photo=note.photo, faces=note.faces, detail=note.detail)


def enrolment_refused(notes: list[ReferenceNote] | tuple[ReferenceNote, ...], lang: str) -> str:
    return ENROLMENT[lang]["refused"].format(notes="; ".join(enrolment_note(n, lang) for n in notes))


def enrolment_done(count: int, notes: list[ReferenceNote], lang: str) -> str:
    return " ".join([ENROLMENT[lang]["enrolled"].format(count=count), *(enrolment_note(n, lang) for n in notes)])


def erasure_summary(report: ErasureReport, lang: str) -> dict[str, list[str]]:
    """The summary's lines in `lang`: what was erased, and what was kept with why."""
    words = ERASURE[lang]
    return {
        "removed": [f"{count} {words[f'removed.{key}']}" for key, count in report.removed.items()],
        "kept": [f"{k.count} {words[f'kept.{k.key}']}: {words[f'why.{k.key}']}" for k in report.kept],
    }


def language(request: Request) -> str:
    """?lang= first (the switch), then the visitor's earlier choice, then the browser's Accept-Language."""
    for chosen in (request.query_params.get("lang"), request.cookies.get(COOKIE)):
        if chosen in LANGUAGES:
            return chosen
    return from_accept_language(request.headers.get("accept-language", ""))


def from_accept_language(header: str) -> str:
    ranked = []
    for position, part in enumerate(header.split(",")):
        tag, _, quality = part.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            continue
        ranked.append((-weight, position, tag.strip().lower()[:2]))
    for _, _, tag in sorted(ranked):
        if tag in LANGUAGES:
            return tag
    return DEFAULT


def other(lang: str) -> str:
    return "en" if lang == "nl" else "nl"
