/*
 * xvmd's TLS access rules (xvmd/tls.c): --tls-allowed-dn patterns against
 * client DNs (fnmatch, as libvirtd's tls_allowed_dn_list), which server
 * key modes are refused, where the certificates are looked for.
 */
#include <string.h>
#include <sys/stat.h>

#include "unit.h"
#include "xvmd/tls.h"

static void test_dn_match(void)
{
	const char *pats[] = { "O=xvm test,CN=bob", "*,CN=ali?e",
			       "C=GB,O=[AB]corp,*" };
	const char *dn = "O=xvm test,CN=alice";

	CU_ASSERT_TRUE(tls_dn_match(dn, pats, 0));	/* no list: any */
	CU_ASSERT_FALSE(tls_dn_match(dn, pats, 1));
	CU_ASSERT_TRUE(tls_dn_match(dn, pats, 2));
	CU_ASSERT_TRUE(tls_dn_match("O=xvm test,CN=bob", pats, 1));
	/* whole DN: no prefix or suffix match */
	CU_ASSERT_FALSE(tls_dn_match("O=xvm test,CN=bobby", pats, 1));
	CU_ASSERT_FALSE(tls_dn_match("X=1,O=xvm test,CN=bob", pats, 1));
	CU_ASSERT_FALSE(tls_dn_match("O=xvm test,CN=alicia", pats, 2));
	CU_ASSERT_TRUE(tls_dn_match("C=GB,O=Bcorp,CN=x", pats, 3));
	CU_ASSERT_FALSE(tls_dn_match("C=GB,O=Ccorp,CN=x", pats, 3));
	CU_ASSERT_FALSE(tls_dn_match("", pats, 3));
}

static void test_key_mode(void)
{
	CU_ASSERT_TRUE(tls_key_mode_ok(S_IFREG | 0600));
	CU_ASSERT_TRUE(tls_key_mode_ok(S_IFREG | 0400));
	CU_ASSERT_FALSE(tls_key_mode_ok(S_IFREG | 0640));
	CU_ASSERT_FALSE(tls_key_mode_ok(S_IFREG | 0644));
	CU_ASSERT_FALSE(tls_key_mode_ok(S_IFREG | 0604));
	CU_ASSERT_FALSE(tls_key_mode_ok(S_IFREG | 0620));
}

static void test_files(void)
{
	struct tls_files f;

	tls_server_files(NULL, &f);
	CU_ASSERT_STRING_EQUAL(f.ca, "/etc/pki/CA/cacert.pem");
	CU_ASSERT_STRING_EQUAL(f.cert, "/etc/pki/libvirt/servercert.pem");
	CU_ASSERT_STRING_EQUAL(f.key, "/etc/pki/libvirt/private/serverkey.pem");
	tls_server_files("/tmp/pki", &f);
	CU_ASSERT_STRING_EQUAL(f.ca, "/tmp/pki/cacert.pem");
	CU_ASSERT_STRING_EQUAL(f.crl, "/tmp/pki/cacrl.pem");
	CU_ASSERT_STRING_EQUAL(f.cert, "/tmp/pki/servercert.pem");
	CU_ASSERT_STRING_EQUAL(f.key, "/tmp/pki/serverkey.pem");
}

static CU_TestInfo tests[] = {
	{ "allowed DN patterns", test_dn_match },
	{ "server key modes", test_key_mode },
	{ "certificate files", test_files },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(tls, NULL, NULL, tests);
