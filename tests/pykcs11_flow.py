#!/usr/bin/python3
"""PyKCS11 against kerntok, step by step, every result asserted.

    pykcs11_flow.py MODULE init  LABEL SO_PIN PIN   C_InitToken on the free slot, C_InitPIN
    pykcs11_flow.py MODULE setup LABEL PIN          generate the token keys (RSA, EC, AES)
    pykcs11_flow.py MODULE run   LABEL PIN          use them: sign/verify, encrypt/decrypt,
                                                    wrap/unwrap, derive

Run by tests/it_pykcs11.sh, each step in a process of its own (the keys made
by `setup` are found again by label in `run`).  Results are checked against
python3-cryptography wherever the key material allows: signatures with the
exported public keys, AES-GCM and AES key wrap with imported known keys,
RSA-OAEP and ECDH with software keys on the other side.
Exit status 0 on success; on failure "FAIL: ..." and 1.
"""
import os
import sys

import PyKCS11
from PyKCS11 import LowLevel as LL
from PyKCS11 import PyKCS11Error
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, keywrap, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

P256 = bytes.fromhex("06082a8648ce3d030107")
CKM_AES_KEY_WRAP_KWP = getattr(LL, "CKM_AES_KEY_WRAP_KWP", 0x210B)    # RFC 5649 (PKCS #11 3.0)
checks = 0


class Fail(Exception):
    pass


def ok(what):
    global checks
    checks += 1
    print("ok:", what)


def check(cond, what):
    if not cond:
        raise Fail(what)


def expect_rv(rvs, fn, *args, what=""):
    """fn(*args) must raise PyKCS11Error with one of rvs (names)."""
    try:
        fn(*args)
    except PyKCS11Error as e:
        name = PyKCS11.CKR[e.value] if e.value in PyKCS11.CKR else hex(e.value)
        check(name in rvs, "%s: %s, expected %s" % (what, name, " or ".join(rvs)))
        return name
    raise Fail("%s: succeeded, expected %s" % (what, " or ".join(rvs)))


def attr(sess, obj, a):
    return sess.getAttributeValue(obj, [a])[0]


def one(sess, label, cls):
    objs = sess.findObjects([(PyKCS11.CKA_LABEL, label), (PyKCS11.CKA_CLASS, cls)])
    check(len(objs) == 1, "%d objects of class %s labelled %r" % (len(objs), cls, label))
    return objs[0]


def open_lib(module):
    lib = PyKCS11.PyKCS11Lib()
    lib.load(module)
    return lib


def token_slot(lib, label):
    for s in lib.getSlotList(tokenPresent=True):
        if lib.getTokenInfo(s).label.strip() == label:
            return s
    raise Fail("no token labelled %r" % label)


def rw_login(lib, label, pin):
    sess = lib.openSession(token_slot(lib, label), PyKCS11.CKF_SERIAL_SESSION | PyKCS11.CKF_RW_SESSION)
    sess.login(pin)
    return sess


# ---------------------------------------------------------------------------
def do_init(lib, label, so_pin, pin):
    free = [s for s in lib.getSlotList(tokenPresent=True)
            if not lib.getTokenInfo(s).flags & PyKCS11.CKF_TOKEN_INITIALIZED]
    check(len(free) == 1, "expected one free slot, found %d" % len(free))
    # PyKCS11 1.5 hands the label to C_InitToken as a C string; PKCS #11 reads
    # 32 bytes, blank padded: pad it here
    lib.initToken(free[0], so_pin, label.ljust(32))
    sess = lib.openSession(token_slot(lib, label), PyKCS11.CKF_SERIAL_SESSION | PyKCS11.CKF_RW_SESSION)
    sess.login(so_pin, user_type=PyKCS11.CKU_SO)
    sess.initPin(pin)
    sess.logout()
    sess.closeSession()
    info = lib.getTokenInfo(token_slot(lib, label))
    check(info.flags & PyKCS11.CKF_USER_PIN_INITIALIZED, "user PIN not initialized")
    check(info.manufacturerID.strip() == "kerntok", "manufacturer %r" % info.manufacturerID)
    ok("token %s initialized (C_InitToken, C_InitPIN)" % label)


def do_setup(lib, label, pin):
    sess = rw_login(lib, label, pin)
    T, F = True, False

    def common(lbl, ident, private):
        return [(PyKCS11.CKA_TOKEN, T), (PyKCS11.CKA_LABEL, lbl), (PyKCS11.CKA_ID, ident),
                (PyKCS11.CKA_PRIVATE, private)]

    pub = common("py-rsa", b"\x01", F) + [
        (PyKCS11.CKA_MODULUS_BITS, 2048), (PyKCS11.CKA_PUBLIC_EXPONENT, b"\x01\x00\x01"),
        (PyKCS11.CKA_ENCRYPT, T), (PyKCS11.CKA_VERIFY, T), (PyKCS11.CKA_WRAP, T)]
    priv = common("py-rsa", b"\x01", T) + [
        (PyKCS11.CKA_SENSITIVE, T), (PyKCS11.CKA_DECRYPT, T), (PyKCS11.CKA_SIGN, T),
        (PyKCS11.CKA_UNWRAP, T)]
    sess.generateKeyPair(pub, priv, PyKCS11.Mechanism(LL.CKM_RSA_PKCS_KEY_PAIR_GEN))

    pub = common("py-ec", b"\x02", F) + [(PyKCS11.CKA_EC_PARAMS, P256), (PyKCS11.CKA_VERIFY, T)]
    priv = common("py-ec", b"\x02", T) + [
        (PyKCS11.CKA_SENSITIVE, T), (PyKCS11.CKA_SIGN, T), (PyKCS11.CKA_DERIVE, T)]
    sess.generateKeyPair(pub, priv, PyKCS11.Mechanism(LL.CKM_EC_KEY_PAIR_GEN))

    aes = common("py-aes", b"\x03", T) + [
        (PyKCS11.CKA_CLASS, PyKCS11.CKO_SECRET_KEY), (PyKCS11.CKA_KEY_TYPE, PyKCS11.CKK_AES),
        (PyKCS11.CKA_VALUE_LEN, 32), (PyKCS11.CKA_SENSITIVE, T), (PyKCS11.CKA_EXTRACTABLE, F),
        (PyKCS11.CKA_ENCRYPT, T), (PyKCS11.CKA_DECRYPT, T), (PyKCS11.CKA_WRAP, T),
        (PyKCS11.CKA_UNWRAP, T)]
    sess.generateKey(aes, PyKCS11.Mechanism(LL.CKM_AES_KEY_GEN))
    sess.logout()
    sess.closeSession()
    ok("generated RSA 2048, EC P-256 and AES-256 token keys")


# ---------------------------------------------------------------------------
def rsa_public(sess, h):
    n = int.from_bytes(bytes(attr(sess, h, PyKCS11.CKA_MODULUS)), "big")
    e = int.from_bytes(bytes(attr(sess, h, PyKCS11.CKA_PUBLIC_EXPONENT)), "big")
    return rsa.RSAPublicNumbers(e, n).public_key()


def ec_point_raw(sess, h):
    """CKA_EC_POINT is a DER OCTET STRING around the uncompressed point"""
    der = bytes(attr(sess, h, PyKCS11.CKA_EC_POINT))
    check(der[0] == 0x04 and der[1] == len(der) - 2 and der[2] == 0x04,
          "CKA_EC_POINT is not a DER OCTET STRING with an uncompressed point: " + der.hex())
    return der[2:]


def gcm(key_session, key, iv, aad, data, decrypt=False):
    m = PyKCS11.AES_GCM_Mechanism(iv, aad, 128)
    f = key_session.decrypt if decrypt else key_session.encrypt
    return bytes(f(key, data, m))


def secret_template(label, extractable, sensitive, length=32, key_type=PyKCS11.CKK_AES):
    return [(PyKCS11.CKA_CLASS, PyKCS11.CKO_SECRET_KEY), (PyKCS11.CKA_KEY_TYPE, key_type),
            (PyKCS11.CKA_TOKEN, False), (PyKCS11.CKA_LABEL, label),
            (PyKCS11.CKA_SENSITIVE, sensitive), (PyKCS11.CKA_EXTRACTABLE, extractable),
            (PyKCS11.CKA_ENCRYPT, True), (PyKCS11.CKA_DECRYPT, True)] + \
        ([(PyKCS11.CKA_VALUE_LEN, length)] if length else [])


def do_run(lib, label, pin):
    sess = rw_login(lib, label, pin)
    rsa_pub = one(sess, "py-rsa", PyKCS11.CKO_PUBLIC_KEY)
    rsa_priv = one(sess, "py-rsa", PyKCS11.CKO_PRIVATE_KEY)
    ec_pub = one(sess, "py-ec", PyKCS11.CKO_PUBLIC_KEY)
    ec_priv = one(sess, "py-ec", PyKCS11.CKO_PRIVATE_KEY)
    aes = one(sess, "py-aes", PyKCS11.CKO_SECRET_KEY)
    data = os.urandom(3000)
    bad = bytes([data[0] ^ 1]) + data[1:]

    # --- the keys as generated ---------------------------------------------
    check(len(bytes(attr(sess, rsa_pub, PyKCS11.CKA_MODULUS))) == 256, "RSA modulus is not 2048 bits")
    for h, what in ((rsa_priv, "RSA"), (ec_priv, "EC"), (aes, "AES")):
        check(attr(sess, h, PyKCS11.CKA_LOCAL) and attr(sess, h, PyKCS11.CKA_ALWAYS_SENSITIVE),
              what + " key is not local + always sensitive")
    check(attr(sess, aes, PyKCS11.CKA_NEVER_EXTRACTABLE), "AES key is not never-extractable")
    check(attr(sess, aes, PyKCS11.CKA_VALUE_LEN) == 32, "AES key is not 32 bytes")
    check(not attr(sess, rsa_pub, PyKCS11.CKA_PRIVATE), "RSA public key is private")
    t = LL.ckattrlist(1)
    t[0].SetType(PyKCS11.CKA_VALUE)
    rv = sess.lib.C_GetAttributeValue(sess.session, aes, t)
    check(rv == PyKCS11.CKR_ATTRIBUTE_SENSITIVE, "CKA_VALUE of the sensitive AES key: rv 0x%x" % rv)
    ok("generated keys: sizes, CKA_LOCAL, sensitivity, CKA_VALUE hidden")

    # --- sign / verify -----------------------------------------------------
    rpub = rsa_public(sess, rsa_pub)
    m = PyKCS11.Mechanism(LL.CKM_SHA256_RSA_PKCS)
    sig = bytes(sess.sign(rsa_priv, data, m))
    check(sess.verify(rsa_pub, data, sig, m), "SHA256_RSA_PKCS: token rejects its signature")
    check(not sess.verify(rsa_pub, bad, sig, m), "SHA256_RSA_PKCS: token accepts damaged data")
    rpub.verify(sig, data, padding.PKCS1v15(), hashes.SHA256())
    ok("CKM_SHA256_RSA_PKCS sign/verify, cryptography verifies")

    m = PyKCS11.RSA_PSS_Mechanism(LL.CKM_SHA256_RSA_PKCS_PSS, LL.CKM_SHA256, LL.CKG_MGF1_SHA256, 32)
    sig = bytes(sess.sign(rsa_priv, data, m))
    sig2 = bytes(sess.sign(rsa_priv, data, m))
    check(sig != sig2, "RSA-PSS signatures of one message are equal (no random salt?)")
    check(sess.verify(rsa_pub, data, sig, m), "SHA256_RSA_PKCS_PSS: token rejects its signature")
    check(not sess.verify(rsa_pub, bad, sig, m), "SHA256_RSA_PKCS_PSS: token accepts damaged data")
    rpub.verify(sig, data, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
    digest = hashes.Hash(hashes.SHA256())
    digest.update(data)
    dg = digest.finalize()
    m = PyKCS11.RSA_PSS_Mechanism(LL.CKM_RSA_PKCS_PSS, LL.CKM_SHA256, LL.CKG_MGF1_SHA256, 32)
    sig = bytes(sess.sign(rsa_priv, dg, m))
    rpub.verify(sig, data, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
    ok("CKM_SHA256_RSA_PKCS_PSS and CKM_RSA_PKCS_PSS (pre-hashed), cryptography verifies")

    epub = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), ec_point_raw(sess, ec_pub))
    m = PyKCS11.Mechanism(LL.CKM_ECDSA_SHA256)
    sig = bytes(sess.sign(ec_priv, data, m))
    check(len(sig) == 64, "ECDSA P-256 signature is %d bytes, not 64" % len(sig))
    check(sess.verify(ec_pub, data, sig, m), "ECDSA_SHA256: token rejects its signature")
    check(not sess.verify(ec_pub, bad, sig, m), "ECDSA_SHA256: token accepts damaged data")
    der = utils.encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    epub.verify(der, data, ec.ECDSA(hashes.SHA256()))
    sig = bytes(sess.sign(ec_priv, dg, PyKCS11.Mechanism(LL.CKM_ECDSA)))
    der = utils.encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    epub.verify(der, dg, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
    ok("CKM_ECDSA_SHA256 and CKM_ECDSA, cryptography verifies")

    # --- AES-GCM -----------------------------------------------------------
    iv, aad = os.urandom(12), b"kerntok aad"
    ct = gcm(sess, aes, iv, aad, data)
    check(len(ct) == len(data) + 16, "AES-GCM ciphertext is not data + 16-byte tag")
    check(gcm(sess, aes, iv, aad, ct, decrypt=True) == data, "AES-GCM round trip differs")
    expect_rv(("CKR_ENCRYPTED_DATA_INVALID", "CKR_AEAD_DECRYPT_FAILED"), gcm, sess, aes, iv,
              b"other aad", ct, True, what="AES-GCM with the wrong AAD")
    tampered = ct[:-1] + bytes([ct[-1] ^ 0x80])
    expect_rv(("CKR_ENCRYPTED_DATA_INVALID", "CKR_AEAD_DECRYPT_FAILED"), gcm, sess, aes, iv,
              aad, tampered, True, what="AES-GCM with a damaged tag")
    # a known key imported with C_CreateObject: the token's GCM is AES-GCM
    kval = os.urandom(32)
    known = sess.createObject(secret_template("py-known", False, True, length=0) +
                              [(PyKCS11.CKA_VALUE, kval), (PyKCS11.CKA_WRAP, True),
                               (PyKCS11.CKA_UNWRAP, True)])
    check(gcm(sess, known, iv, aad, data) == AESGCM(kval).encrypt(iv, data, aad),
          "AES-GCM differs from cryptography's for the same key")
    check(gcm(sess, known, iv, aad, AESGCM(kval).encrypt(iv, data, aad), decrypt=True) == data,
          "the token cannot decrypt cryptography's AES-GCM")
    ok("CKM_AES_GCM: round trip, AAD and tag checked, matches cryptography")

    # --- RSA-OAEP ----------------------------------------------------------
    secret = os.urandom(64)
    for lbl in (None, b"kerntok label"):
        m = PyKCS11.RSAOAEPMechanism(LL.CKM_SHA256, LL.CKG_MGF1_SHA256, lbl)
        ct = bytes(sess.encrypt(rsa_pub, secret, m))
        check(len(ct) == 256, "RSA-OAEP ciphertext is not 256 bytes")
        check(bytes(sess.decrypt(rsa_priv, ct, m)) == secret, "RSA-OAEP round trip differs")
        ct = rpub.encrypt(secret, padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), lbl))
        check(bytes(sess.decrypt(rsa_priv, ct, m)) == secret,
              "the token cannot decrypt cryptography's RSA-OAEP (label %r)" % lbl)
    m = PyKCS11.RSAOAEPMechanism(LL.CKM_SHA256, LL.CKG_MGF1_SHA256, b"wrong")
    expect_rv(("CKR_ENCRYPTED_DATA_INVALID",), sess.decrypt, rsa_priv, ct, m,
              what="RSA-OAEP with the wrong label")
    ok("CKM_RSA_PKCS_OAEP (SHA-256, with and without label) both ways with cryptography")

    # --- wrap / unwrap -----------------------------------------------------
    # an extractable AES key to move around, and a probe: same key <=> same GCM output
    movable = sess.generateKey(secret_template("py-movable", True, True),
                               PyKCS11.Mechanism(LL.CKM_AES_KEY_GEN))
    probe = gcm(sess, movable, iv, aad, b"probe")

    def same_key(h, what):
        check(gcm(sess, h, iv, aad, b"probe") == probe, what + ": unwrapped key differs")

    m = PyKCS11.Mechanism(LL.CKM_AES_KEY_WRAP)
    wrapped = bytes(sess.wrapKey(aes, movable, m))
    check(len(wrapped) == 40, "AES key wrap of a 32-byte key is %d bytes, not 40" % len(wrapped))
    same_key(sess.unwrapKey(aes, wrapped, secret_template("py-unwrapped", False, True, length=0), m),
             "CKM_AES_KEY_WRAP")
    bad_wrapped = wrapped[:-1] + bytes([wrapped[-1] ^ 1])
    expect_rv(("CKR_WRAPPED_KEY_INVALID", "CKR_ENCRYPTED_DATA_INVALID"), sess.unwrapKey, aes,
              bad_wrapped, secret_template("py-bad", False, True, length=0), m,
              what="AES key unwrap of a damaged blob")
    expect_rv(("CKR_KEY_UNEXTRACTABLE",), sess.wrapKey, known, aes, m,
              what="wrapping a non-extractable key")
    # known keys: the token's RFC 3394 / 5649 output is cryptography's
    tval = os.urandom(32)
    target = sess.createObject(secret_template("py-target", True, True, length=0) +
                               [(PyKCS11.CKA_VALUE, tval)])
    check(bytes(sess.wrapKey(known, target, m)) == keywrap.aes_key_wrap(kval, tval),
          "CKM_AES_KEY_WRAP differs from RFC 3394 (cryptography)")
    mp = PyKCS11.Mechanism(CKM_AES_KEY_WRAP_KWP)
    check(bytes(sess.wrapKey(known, target, mp)) == keywrap.aes_key_wrap_with_padding(kval, tval),
          "CKM_AES_KEY_WRAP_KWP differs from RFC 5649 (cryptography)")
    odd = sess.createObject(secret_template("py-odd", True, False, length=0,
                                            key_type=PyKCS11.CKK_GENERIC_SECRET) +
                            [(PyKCS11.CKA_VALUE, tval[:20])])
    check(bytes(sess.wrapKey(known, odd, mp)) == keywrap.aes_key_wrap_with_padding(kval, tval[:20]),
          "CKM_AES_KEY_WRAP_KWP of a 20-byte key differs from RFC 5649 (cryptography)")
    ours = keywrap.aes_key_wrap(kval, tval)
    h = sess.unwrapKey(known, ours, secret_template("py-from-rfc3394", True, False, length=0), m)
    check(bytes(attr(sess, h, PyKCS11.CKA_VALUE)) == tval, "unwrapping an RFC 3394 blob gives another key")
    ok("CKM_AES_KEY_WRAP / KWP: wrap, unwrap, damaged blob refused, matches RFC 3394/5649")

    m = PyKCS11.RSAOAEPMechanism(LL.CKM_SHA256, LL.CKG_MGF1_SHA256)
    wrapped = bytes(sess.wrapKey(rsa_pub, movable, m))
    check(len(wrapped) == 256, "RSA-OAEP wrapped key is not 256 bytes")
    same_key(sess.unwrapKey(rsa_priv, wrapped, secret_template("py-oaep", False, True, length=0), m),
             "RSA-OAEP wrap")
    blob = rpub.encrypt(tval, padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None))
    h = sess.unwrapKey(rsa_priv, blob, secret_template("py-oaep2", True, False, length=0), m)
    check(bytes(attr(sess, h, PyKCS11.CKA_VALUE)) == tval,
          "unwrapping cryptography's RSA-OAEP blob gives another key")
    check(not attr(sess, h, PyKCS11.CKA_LOCAL), "an unwrapped key says CKA_LOCAL")
    ok("CKM_RSA_PKCS_OAEP wrap/unwrap, and unwrap of cryptography's OAEP blob")

    # --- ECDH --------------------------------------------------------------
    tmpl_pub = [(PyKCS11.CKA_TOKEN, False), (PyKCS11.CKA_EC_PARAMS, P256)]
    tmpl_priv = [(PyKCS11.CKA_TOKEN, False), (PyKCS11.CKA_DERIVE, True), (PyKCS11.CKA_SENSITIVE, True)]
    b_pub, b_priv = sess.generateKeyPair(tmpl_pub, tmpl_priv, PyKCS11.Mechanism(LL.CKM_EC_KEY_PAIR_GEN))

    def ecdh(priv, point, lbl):
        t = secret_template(lbl, True, False, length=32, key_type=PyKCS11.CKK_GENERIC_SECRET)
        t = [x for x in t if x[0] not in (PyKCS11.CKA_ENCRYPT, PyKCS11.CKA_DECRYPT)]
        h = sess.deriveKey(priv, t, PyKCS11.ECDH1_DERIVE_Mechanism(point))
        return bytes(attr(sess, h, PyKCS11.CKA_VALUE))

    z1 = ecdh(ec_priv, ec_point_raw(sess, b_pub), "py-z1")
    z2 = ecdh(b_priv, ec_point_raw(sess, ec_pub), "py-z2")
    check(len(z1) == 32 and z1 == z2, "ECDH between two token keys: secrets differ")
    soft = ec.generate_private_key(ec.SECP256R1())
    spt = soft.public_key().public_bytes(serialization.Encoding.X962,
                                         serialization.PublicFormat.UncompressedPoint)
    z3 = ecdh(ec_priv, spt, "py-z3")
    check(z3 == soft.exchange(ec.ECDH(), epub), "ECDH with a software peer differs from cryptography")
    # the peer point as DER OCTET STRING (CKA_EC_POINT form) gives the same secret
    z4 = ecdh(ec_priv, bytes([4, len(spt)]) + spt, "py-z4")
    check(z4 == z3, "ECDH with a DER-wrapped peer point differs")
    # derive straight into an AES key: both sides encrypt alike
    t = secret_template("py-ecdh-aes", False, True, length=32)
    k1 = sess.deriveKey(ec_priv, t, PyKCS11.ECDH1_DERIVE_Mechanism(ec_point_raw(sess, b_pub)))
    k2 = sess.deriveKey(b_priv, t, PyKCS11.ECDH1_DERIVE_Mechanism(ec_point_raw(sess, ec_pub)))
    check(gcm(sess, k1, iv, aad, data) == gcm(sess, k2, iv, aad, data) == AESGCM(z1).encrypt(iv, data, aad),
          "AES keys derived by ECDH differ")
    ok("CKM_ECDH1_DERIVE: token/token, token/cryptography, raw and DER points, into AES keys")

    sess.logout()
    sess.closeSession()


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    module, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    lib = open_lib(module)
    try:
        if cmd == "init":
            do_init(lib, *args)
        elif cmd == "setup":
            do_setup(lib, *args)
        elif cmd == "run":
            do_run(lib, *args)
        else:
            sys.exit("unknown command " + cmd)
    except (Fail, PyKCS11Error, InvalidSignature) as e:
        print("FAIL: %s: %s" % (cmd, e if str(e) else type(e).__name__))
        import traceback
        traceback.print_exc()
        sys.exit(1)
    print("%s: %d checks passed" % (cmd, checks))


if __name__ == "__main__":
    main()
