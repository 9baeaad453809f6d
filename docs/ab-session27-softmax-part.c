/* Session 27 (docs/ab-session27.txt, 5): what the b = 1 softmax step (K = 10, AVX2 float32
 * variant) spends outside its passes over the weights, alone: the scores from the intercepts
 * and the previous pass's sums, the probe, softmax_row, c = z sw, the intercepts' step and the
 * sum of |b|, one sample after another (each sample's loss feeds the next one's scores).
 *
 *   cc -O3 -funroll-loops -std=c99 -ffp-contract=fast -fopenmp -w -mavx2 -mfma -Icsrc \
 *      docs/ab-session27-softmax-part.c -o /tmp/smpart -lm && /tmp/smpart
 */
#include "../csrc/mbgd.c"
#include <stdio.h>
#include "../bench/loops/clock_common.h"
int main(void)
{
    const int K = 10, N = 2000000;
    float z[16], bias[16], vin[16];
    for (int k = 0; k < 16; k++) { vin[k] = 0.01f * k - 0.03f; bias[k] = 0.001f * k; }
    double hz = clock_hz();
    volatile double sink = 0;
    for (int round = 0; round < 5; round++) {
        double t = now(), acc = 0;
        for (int i = 0; i < N; i++) {
            int64_t y = i % K;
            for (int64_t k = 0; k < K; k++) z[k] = bias[k] + vin[k];
            float probe = 0;
            for (int64_t k = 0; k < K; k++) probe += z[k] - z[k];
            double loss = (double)(1.0f * softmax_row_f32_avx2(z, K, y)) + (double)probe;
            double bsum = 0;
            for (int64_t k = 0; k < K; k++) { z[k] *= 1.0f; bias[k] -= 1e-6f * z[k]; }
            for (int64_t k = 0; k < K; k++) bsum += fabs((double)bias[k]);
            acc += loss + bsum;
            vin[i % K] += 1e-7f * (float)loss; /* a chain from one sample to the next */
        }
        t = now() - t;
        sink += acc;
        printf("softmax part: %.0f cycles a sample (clock %.2f GHz)\n", t / N * hz, hz / 1e9);
    }
    return sink == 12345.0;
}
