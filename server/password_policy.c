/* password_policy.c — which new passwords okrd accepts.
 *
 * Following NIST SP 800-63B: a length range and no composition rules (they
 * make passwords harder to remember, not to guess), but a refusal of what a
 * guesser tries first — the most common passwords, the user's own name, and
 * trivial patterns. Every refusal says what to do instead. Existing
 * passwords are not judged again: this runs only when one is set. */
#include "password_policy.h"

#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "okr_error.h"

/* What every refusal ends with: what to do instead. */
#define POLICY_ADVICE                                                                              \
    "choose another (a few unrelated words make a strong one that is easy to remember)"

/* Passwords of at least OKR_PASSWORD_MIN bytes found at the top of leaked
 * password lists, English and Chinese ones, lower case (compared without
 * regard to ASCII case). Shorter ones are refused by length already. */
static const char *const policy_common[] = {
    "password",   "password1",    "password12",    "password123",    "password1234", "password!",
    "passw0rd",   "p@ssw0rd",     "p@ssword",      "pa55word",       "pa$$word",     "password01",
    "passwort",   "motdepasse",   "contraseña",    "wachtwoord",     "12345678",     "123456789",
    "1234567890", "0123456789",   "12345678910",   "1234567899",     "123456789a",   "123456789q",
    "87654321",   "987654321",    "9876543210",    "11111111",       "111111111",    "1111111111",
    "00000000",   "000000000",    "0000000000",    "88888888",       "66666666",     "22222222",
    "99999999",   "12341234",     "11223344",      "12344321",       "12121212",     "123123123",
    "123321123",  "147258369",    "789456123",     "123654789",      "147852369",    "159357456",
    "741852963",  "951753852",    "31415926",      "3141592653",     "110110110",    "521521521",
    "5201314520", "1314520520",   "woaini1314",    "woaini520",      "woaini123",    "woaini521",
    "wodemima",   "iloveyou",     "iloveyou1",     "iloveyou2",      "iloveyou!",    "iloveu123",
    "loveyou1",   "ilovechina",   "qwertyui",      "qwertyuiop",     "qwerty12",     "qwerty123",
    "qwerty1234", "qwerty123456", "qwertyu1",      "qwerasdf",       "1qaz2wsx",     "1qaz2wsx3edc",
    "qazwsxedc",  "qazwsxedcrfv", "zaq12wsx",      "zaq1xsw2",       "zaq1zaq1",     "1q2w3e4r",
    "1q2w3e4r5t", "1q2w3e4r5t6y", "q1w2e3r4",      "q1w2e3r4t5",     "1qazxsw2",     "2wsx3edc",
    "asdfghjk",   "asdfghjkl",    "asdf1234",      "asdfasdf",       "asdasdasd",    "zxcvbnm1",
    "zxcvbnm123", "zxcvbnma",     "zxcv1234",      "qweasdzxc",      "qweqweqwe",    "1234qwer",
    "qwer1234",   "1234asdf",     "abcd1234",      "abc12345",       "abc123456",    "abcdefg1",
    "a1b2c3d4",   "a1b2c3d4e5",   "aa123456",      "a1234567",       "a12345678",    "a123456789",
    "qq123456",   "qwe123456",    "asd123456",     "123456aa",       "123456abc",    "123qweasd",
    "123qwe123",  "1234abcd",     "12qwaszx",      "letmein1",       "letmein123",   "welcome1",
    "welcome123", "welcome!",     "changeme",      "changeme1",      "changeme123",  "default1",
    "admin123",   "admin1234",    "administrator", "administrator1", "adminadmin",   "root1234",
    "rootroot",   "toor1234",     "superuser",     "sunshine",       "sunshine1",    "princess",
    "princess1",  "football",     "football1",     "baseball",       "baseball1",    "basketball",
    "superman",   "superman1",    "starwars",      "starwars1",      "trustno1",     "whatever",
    "whatever1",  "computer",     "computer1",     "internet",       "internet1",    "michelle",
    "jennifer",   "michael1",     "michael123",    "jessica1",       "charlie1",     "jordan23",
    "mustang1",   "shadow12",     "master12",      "master123",      "dragon12",     "dragon123",
    "monkey12",   "monkey123",    "batman12",      "batman123",      "liverpool",    "chelsea1",
    "arsenal1",   "chocolate",    "butterfly",     "sunflower",      "hello123",     "hello1234",
    "helloworld", "freedom1",     "anything",      "iloveyou3",      "lovely12",     "1234567a",
    "12345qwert", "12345abc",     "football12",    "soccer12",       "hockey12",     "killer12",
    "maggie12",   "ginger12",     "summer12",      "summer2024",     "summer2025",   "summer2026",
    "winter2024", "winter2025",   "winter2026",    "spring2025",     "spring2026",   "autumn2025",
    "autumn2026", "january1",     "february1",     "december1",      "monday12",     "friday13",
    "google123",  "facebook1",    "linkedin1",     "microsoft",      "apple123",     "samsung1",
    "nokia123",   "iphone12",     "dearbook",      "xiazhili",       "wangyang",     "zhangwei1",
    "liuyang1",   "woshishui",    "qwe123qwe",     "aini1314",       "okr12345",     "okr123456",
    "okrokrokr",  "okrpassword",  "okradmin",      "secret12",       "secret123",    "letmein!",
    "access14",   "access123",    "hunter12",      "trustme1",       "opensesame",
};

static unsigned char policy__lower(unsigned char ch)
{
    return ch >= 'A' && ch <= 'Z' ? (unsigned char)(ch - 'A' + 'a') : ch;
}

/* Whether a and b are equal but for ASCII case, over n bytes of a. */
static int policy__same(const char *a, size_t n, const char *b)
{
    for (size_t i = 0; i < n; i++, b++)
        if (!*b || policy__lower((unsigned char)a[i]) != policy__lower((unsigned char)*b))
            return 0;
    return *b == '\0';
}

static int policy__common(const char *pw, size_t len)
{
    for (size_t i = 0; i < sizeof policy_common / sizeof policy_common[0]; i++)
        if (policy__same(pw, len, policy_common[i]))
            return 1;
    return 0;
}

/* The length of the group pw repeats from its start to its end ("aaaaaaaa":
 * 1, "12121212": 2, "abcabcab": 3), for groups of up to 4; 0 otherwise. */
static size_t policy__repeated(const char *pw, size_t len)
{
    for (size_t period = 1; period <= 4 && 2 * period <= len; period++) {
        size_t i = period;
        while (i < len &&
               policy__lower((unsigned char)pw[i]) == policy__lower((unsigned char)pw[i - period]))
            i++;
        if (i == len)
            return period;
    }
    return 0;
}

/* Whether pw is a straight run up or down: "12345678", "abcdefgh", "87654321". */
static int policy__run(const char *pw, size_t len)
{
    int step = (int)policy__lower((unsigned char)pw[1]) - (int)policy__lower((unsigned char)pw[0]);
    if (step != 1 && step != -1)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((int)policy__lower((unsigned char)pw[i]) -
                (int)policy__lower((unsigned char)pw[i - 1]) !=
            step)
            return 0;
    return 1;
}

/* Whether none of the n bytes at p is an ASCII letter. */
static int policy__no_letters(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = policy__lower((unsigned char)p[i]);
        if (ch >= 'a' && ch <= 'z')
            return 0;
    }
    return 1;
}

/* Whether the n bytes at p are name backwards, but for ASCII case. */
static int policy__reversed(const char *p, size_t n, const char *name, size_t nlen)
{
    if (n != nlen)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (policy__lower((unsigned char)p[i]) != policy__lower((unsigned char)name[nlen - 1 - i]))
            return 0;
    return 1;
}

/* Whether pw is the user name, backwards or twice, give or take up to 4
 * digits or symbols before and after it: "alice2026", "!Alice!", "ecila",
 * "alicealice". */
static int policy__is_name(const char *pw, size_t len, const char *name)
{
    size_t nlen = name ? strlen(name) : 0;
    if (nlen == 0)
        return 0;
    for (size_t lead = 0; lead <= 4 && lead <= len; lead++)
        for (size_t trail = 0; trail <= 4 && lead + trail <= len; trail++) {
            const char *mid = pw + lead;
            size_t n = len - lead - trail;
            if (!policy__no_letters(pw, lead) || !policy__no_letters(mid + n, trail))
                continue;
            if (policy__same(mid, n, name) || policy__reversed(mid, n, name, nlen) ||
                (n == 2 * nlen && policy__same(mid, nlen, name) &&
                 policy__same(mid + nlen, nlen, name)))
                return 1;
        }
    return 0;
}

int okr_password_check_policy(const char *password, const char *username, char *msg, size_t msglen)
{
    size_t len = password == NULL ? 0 : strlen(password);
    char dummy[1];
    if (msg == NULL || msglen == 0) {
        msg = dummy;
        msglen = sizeof dummy;
    }
    if (len < OKR_PASSWORD_MIN) {
        snprintf(msg, msglen, "password must be at least %d bytes long", OKR_PASSWORD_MIN);
        return OKR_E_BAD_REQUEST;
    }
    if (len > OKR_PASSWORD_MAX) {
        snprintf(msg, msglen, "password must be at most %d bytes long", OKR_PASSWORD_MAX);
        return OKR_E_BAD_REQUEST;
    }
    size_t period = policy__repeated(password, len);
    if (period == 1) {
        snprintf(msg, msglen, "this password is one character repeated: " POLICY_ADVICE);
        return OKR_E_BAD_REQUEST;
    }
    if (period) {
        snprintf(msg, msglen, "this password is the same %zu characters repeated: " POLICY_ADVICE,
                 period);
        return OKR_E_BAD_REQUEST;
    }
    if (policy__run(password, len)) {
        snprintf(msg, msglen, "this password is a run of consecutive characters: " POLICY_ADVICE);
        return OKR_E_BAD_REQUEST;
    }
    if (policy__is_name(password, len, username)) {
        snprintf(msg, msglen, "this password is made of the user name: " POLICY_ADVICE);
        return OKR_E_BAD_REQUEST;
    }
    if (policy__common(password, len)) {
        snprintf(msg, msglen,
                 "this password is one of the most common ones, which are guessed "
                 "first: " POLICY_ADVICE);
        return OKR_E_BAD_REQUEST;
    }
    return 0;
}
