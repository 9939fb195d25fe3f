/* placeholder: being written */
typedef int okr__placeholder_auth;
