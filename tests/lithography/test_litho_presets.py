"""Process presets: every registered preset loads, images and prints its contacts near size."""
from __future__ import annotations

import pytest
import yaml

from chipsmith.errors import LithoError
from chipsmith.lithography import presets as P
from chipsmith.lithography.aerial import aerial_image
from chipsmith.lithography.contours import measure_contacts
from chipsmith.lithography.layout_io import rasterize, rect
from chipsmith.lithography.resist import chem_resist, threshold_resist


@pytest.mark.parametrize("name", P.preset_names())
def test_preset_prints_semi_dense_array_near_size(name):
    p = P.get_preset(name)
    assert p.grid == 128
    pitch = 1.5 * p.min_pitch_nm
    c = p.contact_nm
    centres = [(p.clip_nm / 2 + i * pitch, p.clip_nm / 2 + j * pitch) for i in (-1, 0, 1) for j in (-1, 0, 1)]
    contacts = [rect(x - c / 2, y - c / 2, x + c / 2, y + c / 2) for x, y in centres]
    win = (0, 0, p.clip_nm, p.clip_nm)
    aer = aerial_image(rasterize(contacts, win, p.pixel_nm), p.kernels(), p.pixel_nm)
    for img, level in ((threshold_resist(aer, p.threshold, p.pixel_nm), p.threshold.level),
                       (chem_resist(aer, p.chem, p.pixel_nm), p.chem.level)):
        centre = measure_contacts(img.numpy(), level, [contacts[4]], win, p.pixel_nm)[0]
        assert centre.printed
        assert abs(centre.cd_x - c) < 0.15 * c


def test_nodes_differ_as_documented():
    old, new = P.get_preset("old"), P.get_preset("new")
    assert old.contact_nm > new.contact_nm and old.min_pitch_nm > new.min_pitch_nm
    assert old.optics.na < new.optics.na and old.optics.immersion_index == 1.0
    assert old.optics.source.shape != new.optics.source.shape
    assert old.chem != new.chem


def test_yaml_round_trip_and_errors(tmp_path):
    data = yaml.safe_load((P.PRESET_DIR / "new.yaml").read_text())
    data["contact_nm"] = 70.0
    f = tmp_path / "mine.yaml"
    f.write_text(yaml.safe_dump(data))
    assert P.get_preset(str(f)).contact_nm == 70.0
    data["chem"]["bogus"] = 1
    f.write_text(yaml.safe_dump(data))
    with pytest.raises(LithoError, match="unknown ChemResist keys: bogus"):
        P.load_preset(f)
    with pytest.raises(LithoError, match="unknown preset 'mid'.*new, old"):
        P.get_preset("mid")
