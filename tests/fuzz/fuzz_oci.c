/* libFuzzer target for the image JSON parsers: index.json, manifests,
 * configs and docker-save's manifest.json all come from files users are
 * handed, so none of them may crash, leak or loop. The first byte picks
 * the parser, the rest is the document. */
#include <stdint.h>
#include <stdlib.h>

#include "../../images/oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct arena a;
    arena_init(&a);
    jmp_buf jb;
    if (ARENA_TRY(&a, jb)) {
        arena_free(&a);
        return 0;
    }
    const char *doc = (const char *)data + 1, *why;
    size_t len = size - 1;
    switch (data[0] % 4) {
    case 0: {
        struct oci_index idx;
        if (oci_parse_index(&a, doc, len, &idx, &why) == 0)
            oci_pick_platform(&idx);
        break;
    }
    case 1: {
        struct oci_manifest m;
        if (oci_parse_manifest(&a, doc, len, &m, &why) == 0)
            for (size_t i = 0; i < m.nlayers; i++)
                media_type_kind(m.layers[i].media_type, NULL);
        break;
    }
    case 2: {
        struct image_config c;
        oci_parse_config(&a, doc, len, &c, &why);
        break;
    }
    default: {
        struct docker_manifest d;
        docker_parse_manifest(&a, doc, len, &d, &why);
        break;
    }
    }
    arena_free(&a);
    return 0;
}
