// For kernel files written once over a clang vector of W floats and included once per path,
// with W, SUFFIX (functions are named name_SUFFIX) and TARGET ("avx2", "avx512f") defined
// around each inclusion (elementwise_vector.h, griffinlim_vector.h).
#ifndef CKERNELS_VECTOR_PATH_H
#define CKERNELS_VECTOR_PATH_H

#define EV_CAT2(a, b) a##_##b
#define EV_CAT(a, b) EV_CAT2(a, b)
#define EV(name) EV_CAT(name, SUFFIX)
#define EV_TARGET __attribute__((target(TARGET)))
/// The path's vector of W floats (EV(vf)) and its unaligned form for loads and stores.
#define EV_DECLARE_TYPES()                                                   \
    typedef float EV(vf) __attribute__((ext_vector_type(W)));              \
    typedef float EV(vfu) __attribute__((ext_vector_type(W), aligned(4)));
#define EV_LOAD(p) (*(const EV(vfu) *)(p))
#define EV_STORE(p, v) (*(EV(vfu) *)(p) = (v))

/// Runs name_avx512, name_avx2 or name_portable, whichever `isa` allows on this CPU (ek_level).
#define EV_DISPATCH(isa, name, ...)                                   \
    switch (ek_level(isa)) {                                          \
    case 2: name##_avx512(__VA_ARGS__); break;                        \
    case 1: name##_avx2(__VA_ARGS__); break;                          \
    default: name##_portable(__VA_ARGS__); break;                     \
    }

#endif
