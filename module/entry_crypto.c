/* entry_crypto.c - the cryptographic C_* calls: each checks the module
 * state, locks the session and hands over to crypt*.c, where the spec's
 * operation rules live.
 *
 * Not supported, consistently (CKR_FUNCTION_NOT_SUPPORTED; no mechanism
 * advertises the matching flag): C_SignRecover* / C_VerifyRecover*, the
 * dual-function updates (C_DigestEncryptUpdate ...), and the 3.0
 * message-based functions (C_MessageEncryptInit ...). */
#include "entry.h"
#include "crypt.h"

CK_RV kt_e_EncryptInit(kt_app *a, CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	KT_WITH_SESSION(a, hSession, s, kt_crypt_init(s, KT_OP_ENCRYPT, pMechanism, hKey));
}

CK_RV kt_e_Encrypt(kt_app *a, CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pEncryptedData, CK_ULONG_PTR pulEncryptedDataLen)
{
	KT_WITH_SESSION(a, hSession, s, kt_crypt_oneshot(s, KT_OP_ENCRYPT, pData, ulDataLen, pEncryptedData, pulEncryptedDataLen));
}

CK_RV kt_e_EncryptUpdate(kt_app *a, CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen, CK_BYTE_PTR pEncryptedPart, CK_ULONG_PTR pulEncryptedPartLen)
{
	KT_WITH_SESSION(a, hSession, s, kt_crypt_update(s, KT_OP_ENCRYPT, pPart, ulPartLen, pEncryptedPart, pulEncryptedPartLen));
}

CK_RV kt_e_EncryptFinal(kt_app *a, CK_SESSION_HANDLE hSession, CK_BYTE_PTR pLastEncryptedPart, CK_ULONG_PTR pulLastEncryptedPartLen)
{
	KT_WITH_SESSION(a, hSession, s, kt_crypt_final(s, KT_OP_ENCRYPT, pLastEncryptedPart, pulLastEncryptedPartLen));
}

CK_RV kt_e_DecryptInit(kt_app *a, CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	KT_WITH_SESSION(a, hSession, s, kt_crypt_init(s, KT_OP_DECRYPT, pMechanism, hKey));
}

CK_RV kt_e_Decrypt(kt_app *a, CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedData, CK_ULONG ulEncryptedDataLen, CK_BYTE_PTR pData, CK_ULONG_PTR pulDataLen)
{
	KT_WITH_SESSION(a, hSession, s, kt_crypt_oneshot(s, KT_OP_DECRYPT, pEncryptedData, ulEncryptedDataLen, pData, pulDataLen));
}

CK_RV kt_e_DecryptUpdate(kt_app *a, CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart, CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart, CK_ULONG_PTR pulPartLen)
{
	KT_WITH_SESSION(a, hSession, s, kt_crypt_update(s, KT_OP_DECRYPT, pEncryptedPart, ulEncryptedPartLen, pPart, pulPartLen));
}

CK_RV kt_e_DecryptFinal(kt_app *a, CK_SESSION_HANDLE hSession, CK_BYTE_PTR pLastPart, CK_ULONG_PTR pulLastPartLen)
{
	KT_WITH_SESSION(a, hSession, s, kt_crypt_final(s, KT_OP_DECRYPT, pLastPart, pulLastPartLen));
}

CK_RV kt_e_DigestInit(kt_app *a, CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism)
{
	KT_WITH_SESSION(a, hSession, s, kt_crypt_init(s, KT_OP_DIGEST, pMechanism, CK_INVALID_HANDLE));
}

CK_RV kt_e_Digest(kt_app *a, CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen)
{
	KT_WITH_SESSION(a, hSession, s, kt_crypt_oneshot(s, KT_OP_DIGEST, pData, ulDataLen, pDigest, pulDigestLen));
}

CK_RV kt_e_DigestUpdate(kt_app *a, CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
	KT_WITH_SESSION(a, hSession, s, kt_crypt_update(s, KT_OP_DIGEST, pPart, ulPartLen, NULL, NULL));
}

CK_RV kt_e_DigestKey(kt_app *a, CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hKey)
{
	KT_WITH_SESSION(a, hSession, s, kt_crypt_digest_key(s, hKey));
}

CK_RV kt_e_DigestFinal(kt_app *a, CK_SESSION_HANDLE hSession, CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen)
{
	KT_WITH_SESSION(a, hSession, s, kt_crypt_final(s, KT_OP_DIGEST, pDigest, pulDigestLen));
}

CK_RV kt_e_SignInit(kt_app *a, CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	KT_WITH_SESSION(a, hSession, s, kt_crypt_init(s, KT_OP_SIGN, pMechanism, hKey));
}

CK_RV kt_e_Sign(kt_app *a, CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	KT_WITH_SESSION(a, hSession, s, kt_crypt_oneshot(s, KT_OP_SIGN, pData, ulDataLen, pSignature, pulSignatureLen));
}

CK_RV kt_e_SignUpdate(kt_app *a, CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
	KT_WITH_SESSION(a, hSession, s, kt_crypt_update(s, KT_OP_SIGN, pPart, ulPartLen, NULL, NULL));
}

CK_RV kt_e_SignFinal(kt_app *a, CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	KT_WITH_SESSION(a, hSession, s, kt_crypt_final(s, KT_OP_SIGN, pSignature, pulSignatureLen));
}

CK_RV kt_e_SignRecoverInit(kt_app *a, CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	(void)hSession;
	(void)pMechanism;
	(void)hKey;
	KT_CHECK_INIT(a);
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV kt_e_SignRecover(kt_app *a, CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	(void)hSession;
	(void)pData;
	(void)ulDataLen;
	(void)pSignature;
	(void)pulSignatureLen;
	KT_CHECK_INIT(a);
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV kt_e_VerifyInit(kt_app *a, CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	KT_WITH_SESSION(a, hSession, s, kt_crypt_init(s, KT_OP_VERIFY, pMechanism, hKey));
}

CK_RV kt_e_Verify(kt_app *a, CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
	KT_WITH_SESSION(a, hSession, s, kt_crypt_verify(s, pData, ulDataLen, pSignature, ulSignatureLen));
}

CK_RV kt_e_VerifyUpdate(kt_app *a, CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
	KT_WITH_SESSION(a, hSession, s, kt_crypt_update(s, KT_OP_VERIFY, pPart, ulPartLen, NULL, NULL));
}

CK_RV kt_e_VerifyFinal(kt_app *a, CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
	KT_WITH_SESSION(a, hSession, s, kt_crypt_verify_final(s, pSignature, ulSignatureLen));
}

CK_RV kt_e_VerifyRecoverInit(kt_app *a, CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	(void)hSession;
	(void)pMechanism;
	(void)hKey;
	KT_CHECK_INIT(a);
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV kt_e_VerifyRecover(kt_app *a, CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen, CK_BYTE_PTR pData, CK_ULONG_PTR pulDataLen)
{
	(void)hSession;
	(void)pSignature;
	(void)ulSignatureLen;
	(void)pData;
	(void)pulDataLen;
	KT_CHECK_INIT(a);
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV kt_e_DigestEncryptUpdate(kt_app *a, CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen, CK_BYTE_PTR pEncryptedPart, CK_ULONG_PTR pulEncryptedPartLen)
{
	(void)hSession;
	(void)pPart;
	(void)ulPartLen;
	(void)pEncryptedPart;
	(void)pulEncryptedPartLen;
	KT_CHECK_INIT(a);
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV kt_e_DecryptDigestUpdate(kt_app *a, CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart, CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart, CK_ULONG_PTR pulPartLen)
{
	(void)hSession;
	(void)pEncryptedPart;
	(void)ulEncryptedPartLen;
	(void)pPart;
	(void)pulPartLen;
	KT_CHECK_INIT(a);
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV kt_e_SignEncryptUpdate(kt_app *a, CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen, CK_BYTE_PTR pEncryptedPart, CK_ULONG_PTR pulEncryptedPartLen)
{
	(void)hSession;
	(void)pPart;
	(void)ulPartLen;
	(void)pEncryptedPart;
	(void)pulEncryptedPartLen;
	KT_CHECK_INIT(a);
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV kt_e_DecryptVerifyUpdate(kt_app *a, CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart, CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart, CK_ULONG_PTR pulPartLen)
{
	(void)hSession;
	(void)pEncryptedPart;
	(void)ulEncryptedPartLen;
	(void)pPart;
	(void)pulPartLen;
	KT_CHECK_INIT(a);
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV kt_e_GenerateKey(kt_app *a, CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phKey)
{
	KT_WITH_SESSION(a, hSession, s, kt_generate_key(s, pMechanism, pTemplate, ulCount, phKey));
}

CK_RV kt_e_GenerateKeyPair(kt_app *a, CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_ATTRIBUTE_PTR pPublicKeyTemplate, CK_ULONG ulPublicKeyAttributeCount, CK_ATTRIBUTE_PTR pPrivateKeyTemplate, CK_ULONG ulPrivateKeyAttributeCount, CK_OBJECT_HANDLE_PTR phPublicKey, CK_OBJECT_HANDLE_PTR phPrivateKey)
{
	KT_WITH_SESSION(a, hSession, s, kt_generate_key_pair(s, pMechanism, pPublicKeyTemplate, ulPublicKeyAttributeCount,
	                                      pPrivateKeyTemplate, ulPrivateKeyAttributeCount, phPublicKey, phPrivateKey));
}

CK_RV kt_e_WrapKey(kt_app *a, CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hWrappingKey, CK_OBJECT_HANDLE hKey, CK_BYTE_PTR pWrappedKey, CK_ULONG_PTR pulWrappedKeyLen)
{
	KT_WITH_SESSION(a, hSession, s, kt_wrap_key(s, pMechanism, hWrappingKey, hKey, pWrappedKey, pulWrappedKeyLen));
}

CK_RV kt_e_UnwrapKey(kt_app *a, CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hUnwrappingKey, CK_BYTE_PTR pWrappedKey, CK_ULONG ulWrappedKeyLen, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulAttributeCount, CK_OBJECT_HANDLE_PTR phKey)
{
	KT_WITH_SESSION(a, hSession, s, kt_unwrap_key(s, pMechanism, hUnwrappingKey, pWrappedKey, ulWrappedKeyLen,
	                               pTemplate, ulAttributeCount, phKey));
}

CK_RV kt_e_DeriveKey(kt_app *a, CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hBaseKey, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulAttributeCount, CK_OBJECT_HANDLE_PTR phKey)
{
	KT_WITH_SESSION(a, hSession, s, kt_derive_key(s, pMechanism, hBaseKey, pTemplate, ulAttributeCount, phKey));
}

CK_RV kt_e_MessageEncryptInit(kt_app *a, CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	(void)hSession;
	(void)pMechanism;
	(void)hKey;
	KT_CHECK_INIT(a);
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV kt_e_EncryptMessage(kt_app *a, CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen, CK_BYTE_PTR pPlaintext, CK_ULONG ulPlaintextLen, CK_BYTE_PTR pCiphertext, CK_ULONG_PTR pulCiphertextLen)
{
	(void)hSession;
	(void)pParameter;
	(void)ulParameterLen;
	(void)pAssociatedData;
	(void)ulAssociatedDataLen;
	(void)pPlaintext;
	(void)ulPlaintextLen;
	(void)pCiphertext;
	(void)pulCiphertextLen;
	KT_CHECK_INIT(a);
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV kt_e_EncryptMessageBegin(kt_app *a, CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen)
{
	(void)hSession;
	(void)pParameter;
	(void)ulParameterLen;
	(void)pAssociatedData;
	(void)ulAssociatedDataLen;
	KT_CHECK_INIT(a);
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV kt_e_EncryptMessageNext(kt_app *a, CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pPlaintextPart, CK_ULONG ulPlaintextPartLen, CK_BYTE_PTR pCiphertextPart, CK_ULONG_PTR pulCiphertextPartLen, CK_FLAGS flags)
{
	(void)hSession;
	(void)pParameter;
	(void)ulParameterLen;
	(void)pPlaintextPart;
	(void)ulPlaintextPartLen;
	(void)pCiphertextPart;
	(void)pulCiphertextPartLen;
	(void)flags;
	KT_CHECK_INIT(a);
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV kt_e_MessageEncryptFinal(kt_app *a, CK_SESSION_HANDLE hSession)
{
	(void)hSession;
	KT_CHECK_INIT(a);
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV kt_e_MessageDecryptInit(kt_app *a, CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	(void)hSession;
	(void)pMechanism;
	(void)hKey;
	KT_CHECK_INIT(a);
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV kt_e_DecryptMessage(kt_app *a, CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen, CK_BYTE_PTR pCiphertext, CK_ULONG ulCiphertextLen, CK_BYTE_PTR pPlaintext, CK_ULONG_PTR pulPlaintextLen)
{
	(void)hSession;
	(void)pParameter;
	(void)ulParameterLen;
	(void)pAssociatedData;
	(void)ulAssociatedDataLen;
	(void)pCiphertext;
	(void)ulCiphertextLen;
	(void)pPlaintext;
	(void)pulPlaintextLen;
	KT_CHECK_INIT(a);
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV kt_e_DecryptMessageBegin(kt_app *a, CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen)
{
	(void)hSession;
	(void)pParameter;
	(void)ulParameterLen;
	(void)pAssociatedData;
	(void)ulAssociatedDataLen;
	KT_CHECK_INIT(a);
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV kt_e_DecryptMessageNext(kt_app *a, CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pCiphertextPart, CK_ULONG ulCiphertextPartLen, CK_BYTE_PTR pPlaintextPart, CK_ULONG_PTR pulPlaintextPartLen, CK_FLAGS flags)
{
	(void)hSession;
	(void)pParameter;
	(void)ulParameterLen;
	(void)pCiphertextPart;
	(void)ulCiphertextPartLen;
	(void)pPlaintextPart;
	(void)pulPlaintextPartLen;
	(void)flags;
	KT_CHECK_INIT(a);
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV kt_e_MessageDecryptFinal(kt_app *a, CK_SESSION_HANDLE hSession)
{
	(void)hSession;
	KT_CHECK_INIT(a);
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV kt_e_MessageSignInit(kt_app *a, CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	(void)hSession;
	(void)pMechanism;
	(void)hKey;
	KT_CHECK_INIT(a);
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV kt_e_SignMessage(kt_app *a, CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	(void)hSession;
	(void)pParameter;
	(void)ulParameterLen;
	(void)pData;
	(void)ulDataLen;
	(void)pSignature;
	(void)pulSignatureLen;
	KT_CHECK_INIT(a);
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV kt_e_SignMessageBegin(kt_app *a, CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen)
{
	(void)hSession;
	(void)pParameter;
	(void)ulParameterLen;
	KT_CHECK_INIT(a);
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV kt_e_SignMessageNext(kt_app *a, CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	(void)hSession;
	(void)pParameter;
	(void)ulParameterLen;
	(void)pData;
	(void)ulDataLen;
	(void)pSignature;
	(void)pulSignatureLen;
	KT_CHECK_INIT(a);
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV kt_e_MessageSignFinal(kt_app *a, CK_SESSION_HANDLE hSession)
{
	(void)hSession;
	KT_CHECK_INIT(a);
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV kt_e_MessageVerifyInit(kt_app *a, CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	(void)hSession;
	(void)pMechanism;
	(void)hKey;
	KT_CHECK_INIT(a);
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV kt_e_VerifyMessage(kt_app *a, CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
	(void)hSession;
	(void)pParameter;
	(void)ulParameterLen;
	(void)pData;
	(void)ulDataLen;
	(void)pSignature;
	(void)ulSignatureLen;
	KT_CHECK_INIT(a);
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV kt_e_VerifyMessageBegin(kt_app *a, CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen)
{
	(void)hSession;
	(void)pParameter;
	(void)ulParameterLen;
	KT_CHECK_INIT(a);
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV kt_e_VerifyMessageNext(kt_app *a, CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
	(void)hSession;
	(void)pParameter;
	(void)ulParameterLen;
	(void)pData;
	(void)ulDataLen;
	(void)pSignature;
	(void)ulSignatureLen;
	KT_CHECK_INIT(a);
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV kt_e_MessageVerifyFinal(kt_app *a, CK_SESSION_HANDLE hSession)
{
	(void)hSession;
	KT_CHECK_INIT(a);
	return CKR_FUNCTION_NOT_SUPPORTED;
}
