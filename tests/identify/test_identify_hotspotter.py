"""HotSpotter databases: chip tables into one animal box per photo; tables written here in HotSpotter's format."""

from __future__ import annotations

import pytest

from bigcats.identify.errors import IdentifyError


def test_hotspotter_chip_tables_give_one_box_per_photo(tmp_path):
    from bigcats.identify.hotspotter import read_hsdb

    (tmp_path / "image_table.csv").write_text("# image table\n# NumData 2\n#   gid,   gname,  aif\n      1,   a.JPG,  False\n      2,   b.JPG,  True\n")
    (tmp_path / "name_table.csv").write_text("# name table\n#   nid,   name\n      2,  cat_1\n")
    (tmp_path / "chip_table.csv").write_text(
        "# chip table\n#   ChipID,  ImgID,  NameID,  roi[tl_x  tl_y  w  h],  theta\n"
        "         1,      1,       2,  [ 457 1048  485  335],    0.0\n"
        "<<<<<<< HEAD\n=======\n>>>>>>> other\n"
        "         2,      1,       2,      [650 952 481 138],    0.0\n"
        "         3,      2,       2,  [ -5 10  100  50],    0.0\n")
    hs = read_hsdb(tmp_path).set_index("image")
    assert hs.loc["a.JPG", ["x", "y", "w", "h"]].tolist() == [457, 952, 1131 - 457, 1383 - 952]
    assert hs.loc["a.JPG", "chips"] == 2 and hs.loc["a.JPG", "name"] == "cat_1"
    assert hs.loc["b.JPG", ["x", "y", "w", "h"]].tolist() == [0, 10, 95, 50]  # clipped to the frame
    (tmp_path / "chip_table.csv").write_text("# chip table\n  1, 9, 2, [1 2 3 4], 0.0\n")
    with pytest.raises(IdentifyError, match="image id 9"):
        read_hsdb(tmp_path)
    (tmp_path / "chip_table.csv").write_text("1, 1, 2, 1 2 3 4\n")
    with pytest.raises(IdentifyError, match="data line 1"):
        read_hsdb(tmp_path)
    with pytest.raises(IdentifyError, match="missing"):
        read_hsdb(tmp_path / "nowhere")
