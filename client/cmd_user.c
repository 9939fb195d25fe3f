/* placeholder: being written */
typedef int okr__placeholder_cmd_user;
