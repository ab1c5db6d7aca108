#!/bin/bash
# Integration test: kerntok's asymmetric mechanisms against the openssl CLI.
# Keys made in the token sign, openssl verifies (and the reverse); keys made
# by openssl are imported with C_CreateObject; RSA-OAEP both ways.
# Run by tests/run-integration.sh from the repository root, inside
# `keyctl session -`, with KERNTOK_DIR (a fresh store) and KT_BUILD exported.
# The PKCS#11 side is PyKCS11 under /usr/bin/python3 (python3-pykcs11,
# python3-cryptography); every helper call is its own process.
set -euo pipefail

. "$(dirname "$0")/lib_it.sh"
SO_PIN=12345678
PIN=1234
LABEL=interop
PY=/usr/bin/python3
command -v pkcs11-tool >/dev/null || { echo "FAIL: pkcs11-tool missing"; exit 1; }
command -v openssl >/dev/null || { echo "FAIL: openssl missing"; exit 1; }
"$PY" -c 'import PyKCS11, cryptography' ||
  { echo "FAIL: $PY lacks PyKCS11 / cryptography (apt install python3-pykcs11 python3-cryptography)"; exit 1; }

work=$(mktemp -d /tmp/kt-it-interop.XXXXXX)
cleanup() {
  kt_unlink_store
  rm -rf "$work"
}
trap cleanup EXIT

# --------------------------------------------------------------------------
# The PKCS#11 helper: one operation per process.
cat >"$work/p11.py" <<'EOF'
import sys
import PyKCS11
from PyKCS11 import LowLevel as LL
from cryptography.hazmat.primitives import serialization, hashes
from cryptography.hazmat.primitives.asymmetric import rsa, ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature, encode_dss_signature)

MOD, TOKEN, PIN = sys.argv[1], sys.argv[2], sys.argv[3]
cmd, args = sys.argv[4], sys.argv[5:]

OID = {"p256": bytes.fromhex("06082a8648ce3d030107"),
       "p384": bytes.fromhex("06052b81040022"),
       "ed25519": bytes.fromhex("06032b6570")}
CURVE = {"secp256r1": ("p256", 32), "secp384r1": ("p384", 48)}

lib = PyKCS11.PyKCS11Lib()
lib.load(MOD)
slot = next(s for s in lib.getSlotList(tokenPresent=True)
            if lib.getTokenInfo(s).label.strip() == TOKEN)
sess = lib.openSession(slot, PyKCS11.CKF_SERIAL_SESSION | PyKCS11.CKF_RW_SESSION)
sess.login(PIN)

def der_octet(b):
    assert len(b) < 256
    return bytes([4, len(b)]) + b if len(b) < 128 else bytes([4, 0x81, len(b)]) + b

def key(label, cls):
    objs = sess.findObjects([(PyKCS11.CKA_LABEL, label), (PyKCS11.CKA_CLASS, cls)])
    if len(objs) != 1:
        sys.exit("%d objects labelled %s" % (len(objs), label))
    return objs[0]

def mech(name, keybytes=0):
    if name == "sha256-rsa":
        return PyKCS11.Mechanism(LL.CKM_SHA256_RSA_PKCS)
    if name == "sha256-pss":
        return PyKCS11.RSA_PSS_Mechanism(LL.CKM_SHA256_RSA_PKCS_PSS, LL.CKM_SHA256,
                                         LL.CKG_MGF1_SHA256, 32)
    if name == "ecdsa-sha256":
        return PyKCS11.Mechanism(LL.CKM_ECDSA_SHA256)
    if name == "ecdsa-sha384":
        return PyKCS11.Mechanism(LL.CKM_ECDSA_SHA384)
    if name == "eddsa":
        return PyKCS11.Mechanism(LL.CKM_EDDSA)
    sys.exit("unknown mechanism " + name)

def tok_common(label, private):
    t = [(PyKCS11.CKA_TOKEN, True), (PyKCS11.CKA_LABEL, label), (PyKCS11.CKA_ID, label.encode())]
    return t + ([(PyKCS11.CKA_PRIVATE, True)] if private else [])

if cmd == "gen":                     # gen rsa|p256|p384|ed25519 LABEL
    kind, label = args
    pub, priv = tok_common(label, False), tok_common(label, True) + [(PyKCS11.CKA_SENSITIVE, True)]
    if kind == "rsa":
        m = PyKCS11.Mechanism(LL.CKM_RSA_PKCS_KEY_PAIR_GEN)
        pub += [(PyKCS11.CKA_MODULUS_BITS, 2048)]
    else:
        m = PyKCS11.Mechanism(LL.CKM_EC_EDWARDS_KEY_PAIR_GEN if kind == "ed25519"
                              else LL.CKM_EC_KEY_PAIR_GEN)
        pub += [(PyKCS11.CKA_EC_PARAMS, OID[kind])]
    sess.generateKeyPair(pub, priv, m)
elif cmd == "pub":                   # pub LABEL OUT.pem: CKA_PUBLIC_KEY_INFO as PEM
    label, out = args
    spki = bytes(sess.getAttributeValue(key(label, PyKCS11.CKO_PUBLIC_KEY),
                                        [PyKCS11.CKA_PUBLIC_KEY_INFO])[0])
    k = serialization.load_der_public_key(spki)
    with open(out, "wb") as f:
        f.write(k.public_bytes(serialization.Encoding.PEM,
                               serialization.PublicFormat.SubjectPublicKeyInfo))
    # the private half carries the same SPKI
    spki2 = bytes(sess.getAttributeValue(key(label, PyKCS11.CKO_PRIVATE_KEY),
                                         [PyKCS11.CKA_PUBLIC_KEY_INFO])[0])
    if spki2 != spki:
        sys.exit("private CKA_PUBLIC_KEY_INFO differs")
elif cmd == "sign":                  # sign LABEL MECH IN OUT [der]
    label, name, src, out = args[:4]
    data = open(src, "rb").read()
    sig = bytes(sess.sign(key(label, PyKCS11.CKO_PRIVATE_KEY), data, mech(name)))
    if args[4:] == ["der"]:          # PKCS#11 r||s -> DER for openssl
        h = len(sig) // 2
        sig = encode_dss_signature(int.from_bytes(sig[:h], "big"), int.from_bytes(sig[h:], "big"))
    open(out, "wb").write(sig)
elif cmd == "verify":                # verify LABEL MECH IN SIG [der:BYTES]
    label, name, src, sigf = args[:4]
    data, sig = open(src, "rb").read(), open(sigf, "rb").read()
    if args[4:] and args[4].startswith("der:"):
        h = int(args[4][4:])
        r, s = decode_dss_signature(sig)
        sig = r.to_bytes(h, "big") + s.to_bytes(h, "big")
    okv = sess.verify(key(label, PyKCS11.CKO_PUBLIC_KEY), data, sig, mech(name))
    sys.exit(0 if okv else 3)
elif cmd in ("import-pub", "import-priv"):   # import-* PEM LABEL
    pem, label = args
    raw = open(pem, "rb").read()
    if cmd == "import-pub":
        k = serialization.load_pem_public_key(raw)
        t = tok_common(label, False) + [(PyKCS11.CKA_CLASS, PyKCS11.CKO_PUBLIC_KEY)]
    else:
        k = serialization.load_pem_private_key(raw, None)
        t = tok_common(label, True) + [(PyKCS11.CKA_CLASS, PyKCS11.CKO_PRIVATE_KEY)]
    b = lambda n, l=None: n.to_bytes(l or (n.bit_length() + 7) // 8, "big")
    if isinstance(k, (rsa.RSAPublicKey, rsa.RSAPrivateKey)):
        t.append((PyKCS11.CKA_KEY_TYPE, PyKCS11.CKK_RSA))
        if cmd == "import-pub":
            pn = k.public_numbers()
            t += [(PyKCS11.CKA_MODULUS, b(pn.n)), (PyKCS11.CKA_PUBLIC_EXPONENT, b(pn.e))]
        else:
            v = k.private_numbers()
            pn = v.public_numbers
            t += [(PyKCS11.CKA_MODULUS, b(pn.n)), (PyKCS11.CKA_PUBLIC_EXPONENT, b(pn.e)),
                  (PyKCS11.CKA_PRIVATE_EXPONENT, b(v.d)), (PyKCS11.CKA_PRIME_1, b(v.p)),
                  (PyKCS11.CKA_PRIME_2, b(v.q)), (PyKCS11.CKA_EXPONENT_1, b(v.dmp1)),
                  (PyKCS11.CKA_EXPONENT_2, b(v.dmq1)), (PyKCS11.CKA_COEFFICIENT, b(v.iqmp))]
    elif isinstance(k, (ec.EllipticCurvePublicKey, ec.EllipticCurvePrivateKey)):
        name, flen = CURVE[k.curve.name]
        t += [(PyKCS11.CKA_KEY_TYPE, PyKCS11.CKK_EC), (PyKCS11.CKA_EC_PARAMS, OID[name])]
        if cmd == "import-pub":
            pt = k.public_bytes(serialization.Encoding.X962,
                                serialization.PublicFormat.UncompressedPoint)
            t.append((PyKCS11.CKA_EC_POINT, der_octet(pt)))
        else:
            t.append((PyKCS11.CKA_VALUE, b(k.private_numbers().private_value, flen)))
    else:                            # Ed25519: the raw public value, PrintableString params
        t += [(PyKCS11.CKA_KEY_TYPE, LL.CKK_EC_EDWARDS),
              (PyKCS11.CKA_EC_PARAMS, b"\x13\x0cedwards25519")]
        if cmd == "import-pub":
            t.append((PyKCS11.CKA_EC_POINT, k.public_bytes(serialization.Encoding.Raw,
                                                           serialization.PublicFormat.Raw)))
        else:
            t.append((PyKCS11.CKA_VALUE, k.private_bytes(serialization.Encoding.Raw,
                                                         serialization.PrivateFormat.Raw,
                                                         serialization.NoEncryption())))
    sess.createObject(t)
elif cmd in ("encrypt", "decrypt"):  # encrypt|decrypt LABEL LABELHEX IN OUT (OAEP SHA-256)
    label, lhex, src, out = args
    m = PyKCS11.RSAOAEPMechanism(LL.CKM_SHA256, LL.CKG_MGF1_SHA256,
                                 bytes.fromhex(lhex) if lhex else None)
    data = open(src, "rb").read()
    if cmd == "encrypt":
        res = sess.encrypt(key(label, PyKCS11.CKO_PUBLIC_KEY), data, m)
    else:
        res = sess.decrypt(key(label, PyKCS11.CKO_PRIVATE_KEY), data, m)
    open(out, "wb").write(bytes(res))
else:
    sys.exit("unknown command " + cmd)
sess.logout()
sess.closeSession()
EOF
p11py() { "$PY" "$work/p11.py" "$MOD" "$LABEL" "$PIN" "$@"; }

# --------------------------------------------------------------------------
step "init token $LABEL on the free slot, set the user PIN"
kt_init_token "$LABEL" "$SO_PIN" "$PIN" >/dev/null
ok "token $LABEL ready"

head -c 10000 /dev/urandom >"$work/data"
ossl_verify() {   # PEM SIG [extra dgst options]
  local pem=$1 sig=$2; shift 2
  openssl dgst "$@" -verify "$pem" -signature "$sig" "$work/data" >/dev/null
}

# --------------------------------------------------------------------------
step "token keys sign, openssl verifies"
p11py gen rsa trsa
p11py gen p256 tp256
p11py gen p384 tp384
p11py gen ed25519 ted
for k in trsa tp256 tp384 ted; do p11py pub "$k" "$work/$k.pem"; done
openssl pkey -pubin -in "$work/trsa.pem" -noout -text | grep -q 'Public-Key: (2048 bit)' ||
  fail "RSA SPKI not a 2048-bit key"
ok "CKA_PUBLIC_KEY_INFO of 4 generated keys exports as PEM"

p11py sign trsa sha256-rsa "$work/data" "$work/s1"
ossl_verify "$work/trsa.pem" "$work/s1" -sha256 || fail "RSA PKCS#1 v1.5 signature rejected by openssl"
ok "SHA256_RSA_PKCS"
p11py sign trsa sha256-pss "$work/data" "$work/s2"
ossl_verify "$work/trsa.pem" "$work/s2" -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 ||
  fail "RSA-PSS signature rejected by openssl"
ok "SHA256_RSA_PKCS_PSS"
p11py sign tp256 ecdsa-sha256 "$work/data" "$work/s3" der
ossl_verify "$work/tp256.pem" "$work/s3" -sha256 || fail "ECDSA P-256 signature rejected by openssl"
ok "ECDSA_SHA256 on P-256"
p11py sign tp384 ecdsa-sha384 "$work/data" "$work/s4" der
ossl_verify "$work/tp384.pem" "$work/s4" -sha384 || fail "ECDSA P-384 signature rejected by openssl"
ok "ECDSA_SHA384 on P-384"
p11py sign ted eddsa "$work/data" "$work/s5"
[ "$(stat -c %s "$work/s5")" = 64 ] || fail "Ed25519 signature is not 64 bytes"
openssl pkeyutl -verify -pubin -inkey "$work/ted.pem" -rawin -in "$work/data" -sigfile "$work/s5" >/dev/null ||
  fail "Ed25519 signature rejected by openssl"
ok "EDDSA (Ed25519)"
# a flipped byte must fail on the openssl side too (the checks above are not vacuous)
printf '\x01' | dd of="$work/s1" bs=1 seek=7 conv=notrunc status=none
! ossl_verify "$work/trsa.pem" "$work/s1" -sha256 2>/dev/null || fail "openssl accepted a damaged signature"
ok "damaged signature rejected"

# --------------------------------------------------------------------------
step "openssl keys sign, the token verifies (keys imported with C_CreateObject)"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/orsa.key" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/op256.key"
openssl genpkey -algorithm ED25519 -out "$work/oed.key"
for k in orsa op256 oed; do
  openssl pkey -in "$work/$k.key" -pubout -out "$work/$k.pem"
  p11py import-pub "$work/$k.pem" "$k"
done
ok "3 openssl public keys imported"

openssl dgst -sha256 -sign "$work/orsa.key" -out "$work/o1" "$work/data"
p11py verify orsa sha256-rsa "$work/data" "$work/o1" || fail "token rejected openssl's RSA signature"
openssl dgst -sha256 -sign "$work/orsa.key" -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 \
  -out "$work/o2" "$work/data"
p11py verify orsa sha256-pss "$work/data" "$work/o2" || fail "token rejected openssl's RSA-PSS signature"
openssl dgst -sha256 -sign "$work/op256.key" -out "$work/o3" "$work/data"
p11py verify op256 ecdsa-sha256 "$work/data" "$work/o3" der:32 || fail "token rejected openssl's ECDSA signature"
openssl pkeyutl -sign -inkey "$work/oed.key" -rawin -in "$work/data" -out "$work/o4"
p11py verify oed eddsa "$work/data" "$work/o4" || fail "token rejected openssl's Ed25519 signature"
ok "token verifies openssl's RSA v1.5, PSS, ECDSA and Ed25519 signatures"
rc=0
p11py verify orsa sha256-rsa "$work/data" "$work/o2" || rc=$?
[ "$rc" = 3 ] || fail "token accepted a PSS signature as v1.5 (rc $rc)"
ok "token rejects the wrong signature"

step "openssl private keys imported: the token signs, openssl verifies"
for k in orsa op256 oed; do p11py import-priv "$work/$k.key" "$k"; done
p11py sign orsa sha256-rsa "$work/data" "$work/i1"
ossl_verify "$work/orsa.pem" "$work/i1" -sha256 || fail "imported RSA key: signature rejected"
# RSA v1.5 is deterministic: the token's signature is the one openssl makes
cmp -s "$work/i1" <(openssl dgst -sha256 -sign "$work/orsa.key" "$work/data") ||
  fail "imported RSA key: signature differs from openssl's"
p11py sign op256 ecdsa-sha256 "$work/data" "$work/i2" der
ossl_verify "$work/op256.pem" "$work/i2" -sha256 || fail "imported P-256 key: signature rejected"
p11py sign oed eddsa "$work/data" "$work/i3"
cmp -s "$work/i3" "$work/o4" || fail "imported Ed25519 key: signature differs from openssl's"
ok "imported private keys sign like openssl"

# --------------------------------------------------------------------------
step "RSA-OAEP (SHA-256, MGF1-SHA-256, with a label) both ways"
head -c 100 /dev/urandom >"$work/secret"
lbl=6b65726e746f6b                   # "kerntok"
openssl pkeyutl -encrypt -pubin -inkey "$work/trsa.pem" -in "$work/secret" -out "$work/c1" \
  -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256 \
  -pkeyopt rsa_oaep_label:$lbl
p11py decrypt trsa "$lbl" "$work/c1" "$work/p1"
cmp -s "$work/secret" "$work/p1" || fail "token decrypted openssl's OAEP ciphertext wrongly"
ok "openssl encrypts, token decrypts"
p11py encrypt orsa "$lbl" "$work/secret" "$work/c2"
openssl pkeyutl -decrypt -inkey "$work/orsa.key" -in "$work/c2" -out "$work/p2" \
  -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256 \
  -pkeyopt rsa_oaep_label:$lbl
cmp -s "$work/secret" "$work/p2" || fail "openssl decrypted the token's OAEP ciphertext wrongly"
ok "token encrypts, openssl decrypts"
if p11py decrypt trsa 00 "$work/c1" "$work/p3" 2>/dev/null; then
  fail "token decrypted with the wrong label"
fi
ok "wrong label rejected"

echo "PASS: $checks checks"
