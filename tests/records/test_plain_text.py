"""Names that come in and cells that go out (R8): control characters are refused where a name enters,
and no exported cell is read as a formula by a spreadsheet."""

import pytest

from models.plain_text import NameRefused, refuse_control_characters, spreadsheet_cell
from models.roster_csv import RosterError, parse_roster
from tests.records.builders import SANNE, TODAY, roster


@pytest.mark.parametrize("cell", ["=1+1", "+31 6", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_r8_a_cell_that_a_spreadsheet_would_run_goes_out_as_text(cell: str) -> None:
    assert spreadsheet_cell(cell) == f"'{cell}"


@pytest.mark.parametrize("cell", ["Sanne", "de Vries", "2014-03-04", "", "a=b", "O'Brien"])
def test_r8_other_cells_go_out_unchanged(cell: str) -> None:
    assert spreadsheet_cell(cell) == cell


@pytest.mark.parametrize("name", ["Sanne\n", "Sa\x00nne", "Sanne\x1b[2J", "Sanne\u202eeirav", "Sa\tnne", "Sa\x85nne"])
def test_r8_a_name_with_a_control_character_is_refused(name: str) -> None:
    with pytest.raises(NameRefused, match="control character"):
        refuse_control_characters("the name", name)


@pytest.mark.parametrize("name", ["Zoë", "Ly Nguyễn", "مريم", "Nazanin\u200cZahra", "Jean-Luc"])
def test_r8_names_from_every_script_are_taken(name: str) -> None:
    assert refuse_control_characters("the name", name) == name


def test_r8_an_import_line_with_a_control_character_is_named_and_nothing_is_imported() -> None:
    bad = SANNE.replace("Sanne", "Sanne\x1b[31m").replace("Jan de Vries", "Jan\x07")
    with pytest.raises(RosterError) as refused:
        parse_roster(roster(bad), TODAY)
    assert refused.value.problems == [
        (2, "first_name contains a control character (a line break, tab or invisible character)")
    ]
