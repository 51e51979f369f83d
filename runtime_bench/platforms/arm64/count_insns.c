/* A QEMU TCG plugin that counts guest instructions, for `cloformer-bench arm64`.
 *
 * No Debian package ships qemu-plugin.h, so the few prototypes used are declared here as QEMU's
 * documented plugin API (version 1, QEMU 4.2 to 8.x) defines them. One inline counter is added
 * to at the entry of every executed translation block (its instruction count), which is exact
 * for a single guest thread: the runners keep their runtimes on one thread. Three more count the
 * block's instructions by class, from the A64 encoding's op0 field (bits 28:25): SIMD & FP data
 * processing (and SVE), SIMD & FP loads and stores, general-register loads and stores; the rest
 * (scalar arithmetic, branches, system) is the total minus these. Instructions per millisecond
 * differ by class on a real core, which the calibration of counts to milliseconds uses.
 *
 * The guest marks points of interest with close(MARK), a file descriptor no process has; at each
 * mark the running counts are appended to the file named by the plugin argument out=PATH
 * ("mark TOTAL SIMD SIMD_MEM MEM"), and at exit the total. Differences between marks are the
 * instructions of what ran between them.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
                                           void (*cb)(qemu_plugin_id_t, struct qemu_plugin_tb *));
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op,
                                              void *ptr, uint64_t imm);
struct qemu_plugin_insn;
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn); /* API v1: the guest's bytes */
void qemu_plugin_register_vcpu_syscall_cb(
    qemu_plugin_id_t id, void (*cb)(qemu_plugin_id_t, unsigned int, int64_t, uint64_t, uint64_t, uint64_t,
                                    uint64_t, uint64_t, uint64_t, uint64_t, uint64_t));
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, void (*cb)(qemu_plugin_id_t, void *), void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

#define AARCH64_SYS_CLOSE 57
#define MARK 0x7C10F0 /* keep in step with guest_runner.py and et_runner.cpp */

enum { SIMD, SIMD_MEM, MEM, CLASSES };
static uint64_t executed, by_class[CLASSES];
static FILE *out;

/* The class of an A64 instruction, or CLASSES for the rest. op0 = bits 28:25: x1x0 loads and stores
 * (bit 26 set: SIMD & FP registers), x111 SIMD & FP data processing, 0010 SVE. */
static int classify(uint32_t insn) {
    uint32_t op0 = insn >> 25 & 0xF;
    if ((op0 & 0x5) == 0x4)
        return insn >> 26 & 1 ? SIMD_MEM : MEM;
    if ((op0 & 0x7) == 0x7 || op0 == 0x2)
        return SIMD;
    return CLASSES;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    size_t n = qemu_plugin_tb_n_insns(tb);
    uint64_t counts[CLASSES + 1] = {0};
    for (size_t i = 0; i < n; i++) {
        uint32_t insn;
        memcpy(&insn, qemu_plugin_insn_data(qemu_plugin_tb_get_insn(tb, i)), sizeof insn);
        counts[classify(insn)]++;
    }
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &executed, n);
    for (int c = 0; c < CLASSES; c++)
        if (counts[c])
            qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &by_class[c], counts[c]);
}

static void on_syscall(qemu_plugin_id_t id, unsigned int vcpu, int64_t num, uint64_t a1, uint64_t a2,
                       uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6, uint64_t a7, uint64_t a8) {
    if (num == AARCH64_SYS_CLOSE && (uint32_t)a1 == MARK) { /* close() takes an int: only w0 counts */
        fprintf(out, "mark %llu %llu %llu %llu\n", (unsigned long long)executed, (unsigned long long)by_class[SIMD],
                (unsigned long long)by_class[SIMD_MEM], (unsigned long long)by_class[MEM]);
        fflush(out);
    }
}

static void write_total(qemu_plugin_id_t id, void *userdata) {
    fprintf(out, "exit %llu\n", (unsigned long long)executed);
    fclose(out);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                                               int argc, char **argv) {
    for (int i = 0; i < argc; i++)
        if (strncmp(argv[i], "out=", 4) == 0)
            out = fopen(argv[i] + 4, "w");
    if (!out) {
        fprintf(stderr, "count_insns: pass out=PATH (a writable file)\n");
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_vcpu_syscall_cb(id, on_syscall);
    qemu_plugin_register_atexit_cb(id, write_total, NULL);
    return 0;
}
