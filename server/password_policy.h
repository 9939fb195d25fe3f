/* password_policy.h — which new passwords okrd accepts (NIST SP 800-63B):
 * OKR_PASSWORD_MIN to OKR_PASSWORD_MAX bytes, and not one that is guessed
 * first. */
#ifndef OKR_PASSWORD_POLICY_H
#define OKR_PASSWORD_POLICY_H

#include <stddef.h>

/* Checks a new password for username (NULL or "" when not known): 0, or
 * OKR_E_BAD_REQUEST with a message for people in msg (which may be NULL)
 * saying what is wrong and what to do. Refused: too short or too long; one
 * character or a group of up to 4 repeated ("12121212"); a straight run
 * ("12345678", "abcdefgh"); the user name, backwards or twice, give or take
 * up to 4 digits or symbols ("alice2026"); one of the most common passwords.
 * ASCII case does not matter. */
int okr_password_check_policy(const char *password, const char *username, char *msg, size_t msglen);

#endif
