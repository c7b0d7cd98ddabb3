"""No import cycle among the project's modules (issue 14), imports inside functions
included."""

from tools.import_cycles import cycles, import_graph


def test_no_import_cycle():
    assert cycles(import_graph()) == []


def test_a_ring_is_found_even_through_an_import_inside_a_function(tmp_path):
    (tmp_path / "incidents").mkdir()
    (tmp_path / "forms").mkdir()
    (tmp_path / "notify").mkdir()
    (tmp_path / "incidents" / "__init__.py").write_text("")
    (tmp_path / "incidents" / "a.py").write_text("from incidents.b import x\n")
    (tmp_path / "incidents" / "b.py").write_text("from . import c\n")
    (tmp_path / "incidents" / "c.py").write_text("def f():\n    from incidents import a\n")
    found = cycles(import_graph(tmp_path))
    assert found == [["incidents.a", "incidents.b", "incidents.c"]]
