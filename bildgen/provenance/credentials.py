"""The certificate and key bildgen signs Content Credentials with.

The organisation's own (a PEM certificate chain and its private key, set in the Admin area; the key
stored encrypted like provider API keys), or else a test certificate made on first start in the data
folder, its key encrypted the same way. The test certificate says so in its names ("TEST
CERTIFICATE — not for publishing"), and so does every verifier that shows who signed.

C2PA wants an end-entity certificate issued by a CA (a self-signed one is refused), so the test
certificate comes with a small test CA of its own; both are in the chain that is embedded.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import json
import os
import secrets
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from bildgen.admin.keys import KeyBox, KeyUnreadable
from bildgen.i18n import _

TEST_LABEL = "TEST CERTIFICATE"
TEST_ORGANISATION = f"bildgen demo ({TEST_LABEL} — not for publishing)"
IDENTITY_FILE = "test-signing-identity.json"
_VALID_DAYS = 3650


class CredentialsRefused(ValueError):
    """A certificate or key that cannot sign; the message says why (never the key)."""


@dataclasses.dataclass(frozen=True)
class SigningIdentity:
    certificate_chain: bytes  # PEM, end-entity certificate first
    private_key: bytes  # PEM (PKCS#8); only ever in memory unencrypted
    algorithm: str  # C2PA's name: es256, es384, ps256, ed25519…
    is_test: bool

    def __repr__(self) -> str:
        return f"SigningIdentity({self.algorithm}, test={self.is_test})"

    @property
    def signer_name(self) -> str:
        subject = x509.load_pem_x509_certificates(self.certificate_chain)[0].subject
        names = subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME) or subject.get_attributes_for_oid(
            NameOID.COMMON_NAME
        )
        return str(names[0].value) if names else subject.rfc4514_string()


def identity_from_pem(certificate_chain: str, private_key: str, *, is_test: bool = False) -> SigningIdentity:
    """Checks that the key belongs to the first certificate and picks the algorithm from the key."""
    try:
        certificates = x509.load_pem_x509_certificates(certificate_chain.strip().encode())
    except ValueError:
        raise CredentialsRefused(_("The certificate is not a PEM certificate chain.")) from None
    try:
        key = serialization.load_pem_private_key(private_key.strip().encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise CredentialsRefused(_("The private key is not an unencrypted PEM key.")) from None
    if key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) != certificates[0].public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ):
        raise CredentialsRefused(_("The private key does not belong to the first certificate."))
    if isinstance(key, ec.EllipticCurvePrivateKey):
        algorithm = {256: "es256", 384: "es384", 521: "es512"}.get(key.curve.key_size)
    elif isinstance(key, rsa.RSAPrivateKey):
        algorithm = "ps256"
    elif isinstance(key, ed25519.Ed25519PrivateKey):
        algorithm = "ed25519"
    else:
        algorithm = None
    if algorithm is None:
        raise CredentialsRefused(_("C2PA signs with ECDSA (P-256, P-384, P-521), RSA or Ed25519 keys only."))
    pkcs8 = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    chain = b"".join(certificate.public_bytes(serialization.Encoding.PEM) for certificate in certificates)
    return SigningIdentity(chain, pkcs8, algorithm, is_test)


def _certificate(subject, issuer, public_key, signing_key, *, ca: bool) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if isinstance(issuer, x509.Certificate) else issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=_VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        ).add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key()), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


def make_test_identity(organisation: str = TEST_ORGANISATION) -> SigningIdentity:
    """A fresh test CA and signing certificate (ECDSA P-256), labelled as a test in every name."""
    ca_key, signing_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())

    def name(common_name: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            ]
        )

    ca_name = name(f"bildgen {TEST_LABEL} CA")
    ca = _certificate(ca_name, ca_name, ca_key.public_key(), ca_key, ca=True)
    leaf = _certificate(name(f"bildgen {TEST_LABEL} signer"), ca, signing_key.public_key(), ca_key, ca=False)
    chain = leaf.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM)
    pkcs8 = signing_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return SigningIdentity(chain, pkcs8, "es256", is_test=True)


def test_identity(folder: Path, keys: KeyBox) -> SigningIdentity:
    """The data folder's test certificate, made on first start; its key is stored encrypted.

    Certificate and encrypted key are one file, linked into place whole: of several processes
    starting at once, the first one's pair is everybody's."""
    path = folder / IDENTITY_FILE
    if not path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        made = make_test_identity()
        stored = {"certificate": made.certificate_chain.decode(), "key": keys.encrypt(made.private_key.decode())}
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as file:
                json.dump(stored, file)
                file.flush()
                os.fsync(file.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    stored = json.loads(path.read_text())
    try:
        return identity_from_pem(stored["certificate"], keys.decrypt(stored["key"]), is_test=True)
    except KeyUnreadable:
        # The server secret changed: a test certificate is not worth keeping, a new one is made.
        path.unlink(missing_ok=True)
        return test_identity(folder, keys)
