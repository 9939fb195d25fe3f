/* Fuzz target: decoding an Envelope the way okrd does (unpack, canonical
 * size check, string validation of a login), then freeing it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "okr.pb-c.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Okr__Envelope *env = okr__envelope__unpack(NULL, size, data);
    if (!env)
        return 0;
    size_t packed = okr__envelope__get_packed_size(env);
    uint8_t *buf = malloc(packed ? packed : 1);
    if (buf) {
        okr__envelope__pack(env, buf);
        free(buf);
    }
    char msg[256];
    if (env->msg_case == OKR__ENVELOPE__MSG_REQUEST &&
        env->request->op_case == OKR__REQUEST__OP_LOGIN) {
        okr_check_string("username", env->request->login->username, 1, 64, msg, sizeof msg);
        okr_check_string("password", env->request->login->password, 1, 1024, msg, sizeof msg);
    }
    okr__envelope__free_unpacked(env, NULL);
    return 0;
}
