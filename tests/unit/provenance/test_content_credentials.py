"""Every image bildgen saves carries IPTC's digital source type in XMP (read back by exiftool) and
C2PA Content Credentials that the c2pa library verifies: the expected action, an edit's reference
and mask as ingredients, and a file changed after signing fails."""

import datetime
import io
import json
import struct
import subprocess

import c2pa
import pytest
from PIL import Image, ImageDraw

from bildgen.admin.keys import KeyBox
from bildgen.inference.demo.server import DemoOptions, start_demo_server
from bildgen.provenance import settings as provenance_settings
from bildgen.provenance.marking import Marker
from bildgen.provenance.verify import State, verify
from bildgen.store import library, metadata
from bildgen.store.db import session
from bildgen.store.files import ImageFiles
from bildgen.store.masks import clean_mask
from bildgen.store.models import AdminSetting
from bildgen.store.models import Image as ImageRow
from tests.unit import test_jobs
from tests.unit.inference.providers.conftest import profile_for

TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
COMPOSITE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"


@pytest.fixture
def world(tmp_path, database_url, demo_server):
    world = test_jobs.World(tmp_path, database_url, demo_server.base_url)
    world.library.marker = Marker(world.engine, tmp_path / "provenance", KeyBox(b"s" * 40))
    return world


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def saved_files(world) -> list[bytes]:
    return [world.library.files.path_for(row.sha256).read_bytes() for row in world.rows(ImageRow)]


def active_manifest(data: bytes) -> tuple[str, dict]:
    with c2pa.Reader("image/png", io.BytesIO(data)) as reader:
        return reader.get_validation_state(), reader.get_active_manifest()


def assertion(manifest: dict, label: str) -> dict:
    return next(item["data"] for item in manifest["assertions"] if item["label"].startswith(label))


def test_a_generated_image_is_signed_as_made_by_ai_and_keeps_its_recipe(world):
    world.run([7], prompt="a lighthouse at dusk")

    [data] = saved_files(world)
    state, manifest = active_manifest(data)
    assert state == "Valid"
    [created] = assertion(manifest, "c2pa.actions")["actions"]
    assert created["action"] == "c2pa.created"
    assert created["digitalSourceType"] == TRAINED
    assert created["softwareAgent"]["name"] == "bildgen"
    assert manifest.get("ingredients", []) == []
    generation = assertion(manifest, "org.bildgen.generation")
    assert generation["model"] == metadata.read(data).model
    assert generation["service"] == "demo"
    # Prompts stay out of the credentials unless the administrator allows them; the person too.
    assert "prompt" not in generation["recipe"] and "person" not in generation
    assert "TEST CERTIFICATE" in manifest["signature_info"]["issuer"]
    # The recipe chunks were written before signing: Reproduce still reads them, the signature holds.
    assert metadata.read(data).prompt == "a lighthouse at dusk"
    assert metadata.read(data).seed == 7
    verdict = verify(data)
    assert verdict.state is State.VALID and verdict.test_certificate
    assert verdict.made_with.startswith("bildgen ")


# exiftool comes from Debian's libimage-exiftool-perl, which scripts/test installs.
def test_exiftool_reads_the_digital_source_type_the_model_and_the_organisation(world):
    provenance_settings.update(world.engine, {"organisation": "Stadtwerke Süd"}, actor_id=world.owner.id)
    world.run([1])

    [data] = saved_files(world)
    found = json.loads(
        subprocess.run(["exiftool", "-json", "-XMP:all", "-"], input=data, capture_output=True, check=True).stdout
    )[0]
    assert found["DigitalSourceType"] == TRAINED
    assert found["AISystemUsed"] == metadata.read(data).model
    assert found["Credit"] == "Stadtwerke Süd"
    assert found["CreatorTool"].startswith("bildgen ")


def test_the_administrator_decides_whether_prompts_and_the_username_are_in_the_credentials(world):
    provenance_settings.update(world.engine, {"include_prompts": True, "person": "username"}, actor_id=world.owner.id)
    world.run([2], prompt="a quiet harbour")

    [data] = saved_files(world)
    generation = assertion(active_manifest(data)[1], "org.bildgen.generation")
    assert generation["recipe"]["prompt"] == "a quiet harbour"
    assert generation["person"] == world.owner.username


def test_an_edit_names_its_reference_and_mask_as_ingredients(world):
    references = ImageFiles(world.library.files.root.parent / "references")
    reference_png = png(Image.new("RGB", (256, 256), "teal"))
    reference = library.add_reference(world.engine, references, owner_id=world.owner.id, png=reference_png, name="r")
    painting = Image.new("L", (128, 128), 0)
    ImageDraw.Draw(painting).rectangle((0, 0, 63, 63), fill=255)
    mask = library.add_mask(
        world.engine,
        references,
        owner_id=world.owner.id,
        reference_id=reference.id,
        png=clean_mask(png(painting), reference_size=(256, 256)),
    )

    world.run([3], reference_ids=[reference.id], mask_id=mask.id, size=(256, 256))

    [data] = saved_files(world)
    state, manifest = active_manifest(data)
    assert state == "Valid"
    assert [(item["title"], item["relationship"]) for item in manifest["ingredients"]] == [
        ("reference-1.png", "inputTo"),
        ("mask.png", "inputTo"),
    ]
    [created] = assertion(manifest, "c2pa.actions")["actions"]
    assert created["digitalSourceType"] == COMPOSITE
    assert len(created["parameters"]["ingredients"]) == 2


def _without_manifest(data: bytes) -> bytes:
    """The PNG with its C2PA chunk (caBX) cut out, as a tool that strips metadata would."""
    parts, position = [data[:8]], 8
    while position < len(data):
        (length,) = struct.unpack_from(">I", data, position)
        end = position + 12 + length
        if data[position + 4 : position + 8] != b"caBX":
            parts.append(data[position:end])
        position = end
    return b"".join(parts)


def test_a_changed_file_fails_verification_and_a_stripped_one_says_so(world):
    world.run([4])
    [data] = saved_files(world)

    # One pixel changed: decode, paint, and put the changed pixels back into the same file.
    image = Image.open(io.BytesIO(data))
    image.putpixel((0, 0), (255, 0, 255))
    repainted = png(image)
    start = data.index(b"IDAT") - 4
    end = data.index(b"IEND") - 4
    idat = b"".join(
        repainted[index - 4 : index + 8 + struct.unpack_from(">I", repainted, index - 4)[0]]
        for index in _chunk_offsets(repainted, b"IDAT")
    )
    tampered = data[:start] + idat + data[end:]
    assert Image.open(io.BytesIO(tampered)).getpixel((0, 0))[:3] == (255, 0, 255)
    assert verify(tampered).state is State.INVALID

    assert verify(_without_manifest(data)).state is State.STRIPPED
    assert verify(png(Image.new("RGB", (8, 8)))).state is State.NONE


def _chunk_offsets(data: bytes, kind: bytes) -> list[int]:
    offsets, position = [], 8
    while position < len(data):
        (length,) = struct.unpack_from(">I", data, position)
        if data[position + 4 : position + 8] == kind:
            offsets.append(position + 4)
        position += 12 + length
    return offsets


@pytest.fixture
def signing_service(world):
    """The demo server posing as OpenAI, whose pictures arrive with its own Content Credentials."""
    server = start_demo_server(DemoOptions(flavor="openai", model_id="gpt-image-1", latency_per_image=0.0))
    gpt_image = profile_for(server, "openai", served_name="gpt-image-1")
    world.catalog.models["demo"] = gpt_image.model_copy(update={"id": "demo"})
    yield server
    server.stop()


def test_an_image_that_arrives_signed_keeps_the_services_credentials_as_its_parent(world, signing_service):
    world.run([1], prompt="a signed fox", size=(1024, 1024))

    [data] = saved_files(world)
    state, manifest = active_manifest(data)
    assert state == "Valid"
    [parent] = manifest["ingredients"]
    assert parent["relationship"] == "parentOf"
    # The service's own manifest travels inside bildgen's, and still validates there.
    with c2pa.Reader("image/png", io.BytesIO(data)) as reader:
        store = json.loads(reader.json())
    service_manifest = store["manifests"][parent["active_manifest"]]
    assert "demo image service" in service_manifest["signature_info"]["issuer"]
    [service_created] = assertion(service_manifest, "c2pa.actions")["actions"]
    assert (service_created["action"], service_created["digitalSourceType"]) == ("c2pa.created", TRAINED)
    assert [action["action"] for action in assertion(manifest, "c2pa.actions")["actions"]] == [
        "c2pa.opened",
        "c2pa.edited.metadata",
    ]
    # The recipe is in the file and the signature holds: nothing was added after signing.
    assert metadata.read(data).prompt == "a signed fox"
    assert verify(data).state is State.VALID


def _pem(identity):
    return identity.certificate_chain.decode(), identity.private_key.decode()


def test_the_organisations_certificate_signs_once_set_and_one_c2pa_refuses_is_turned_away(world):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from bildgen.provenance.credentials import make_test_identity

    keys = world.library.marker.keys
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Self-signed Ltd")])
    moment = datetime.datetime.now(datetime.UTC)
    self_signed = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(moment)
        .not_valid_after(moment + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    with pytest.raises(provenance_settings.ProvenanceRefused, match="refuses to sign"):
        provenance_settings.set_signing_credentials(
            world.engine,
            keys,
            self_signed.public_bytes(serialization.Encoding.PEM).decode(),
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ).decode(),
            actor_id=world.owner.id,
        )

    organisation = make_test_identity("Stadtwerke Süd GmbH")
    certificate, private_key = _pem(organisation)
    with pytest.raises(provenance_settings.ProvenanceRefused, match="does not belong"):
        provenance_settings.set_signing_credentials(
            world.engine, keys, certificate, _pem(make_test_identity())[1], actor_id=world.owner.id
        )
    provenance_settings.set_signing_credentials(world.engine, keys, certificate, private_key, actor_id=world.owner.id)
    # The key is stored encrypted: the database alone does not reveal it.
    with session(world.engine) as db:
        stored = db.get(AdminSetting, provenance_settings.SIGNING_KEY_KEY).value
    assert "PRIVATE KEY" not in stored and private_key.splitlines()[1] not in stored
    world.library.marker.current(fresh=True)

    world.run([9])

    [data] = saved_files(world)
    assert verify(data).signer == "Stadtwerke Süd GmbH"
