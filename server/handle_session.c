/* placeholder: being written */
typedef int okr__placeholder_handle_session;
