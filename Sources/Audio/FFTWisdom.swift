/// FFTW wisdom for the one transform size the project uses (real FFTs of 1024 points, one
/// frame per plan, out of place, FFTW-aligned buffers), recorded with FFTW_PATIENT on an idle
/// AMD EPYC (Zen 4) with Debian 12's FFTW 3.3.10: the fastest of three PATIENT runs there
/// (1.69 us per forward + inverse pair against 2.4 us for FFTW_ESTIMATE's plan, wall time).
/// `cgan-tui bench fft --export-wisdom FILE` writes such a file; paste it below to re-record.
/// It names AVX/SSE2 codelets, so any x86-64 CPU with AVX runs the same algorithm (same bits);
/// elsewhere, or with another FFTW build, RealFFT falls back to FFTW_ESTIMATE.
enum FFTWisdom {
    static let text = """
(fftw-3.3.10 fftwf_wisdom #x9e7d4dee #xdb14fed1 #x34bf76a4 #xeb6e8fdf
  (fftwf_codelet_r2cf_8 2 #x11048 #x11048 #x0 #xffbbd2d6 #x1e2662c0 #x80466bbc #x2e3a8851)
  (fftwf_codelet_r2cbIII_2 2 #x10048 #x10048 #x0 #x01a5171a #xacba19d0 #xc2d82daa #x54b1dcc3)
  (fftwf_codelet_hc2cbdft_2 0 #x10048 #x10048 #x0 #x33b55dab #xe700b258 #x1523ad42 #x1ea71b18)
  (fftwf_codelet_r2cb_2 2 #x10048 #x10048 #x0 #x6ca4f32d #x29172dca #x83ff648b #xa2fc9877)
  (fftwf_codelet_n2bv_8_avx 0 #x10048 #x10048 #x0 #x3c3f5102 #xa27b92c3 #x235c75ee #x2fe6d6a2)
  (fftwf_dft_vrank_geq1_register 0 #x11048 #x11048 #x0 #x0e4912b7 #xa764a950 #x0309f075 #xbeed026d)
  (fftwf_codelet_t2fv_2_avx 0 #x11048 #x11048 #x0 #x17fbf099 #xff0d04f9 #x27f8a3ed #x01c0ab6a)
  (fftwf_codelet_n2fv_64_avx 0 #x11048 #x11048 #x0 #x9b151a0c #x184dc547 #xf430fa14 #x84092ef6)
  (fftwf_codelet_r2cfII_8 2 #x11048 #x11048 #x0 #xb6399110 #x4c96f9f0 #xaab72706 #x16fd8170)
  (fftwf_codelet_hc2cfdftv_8_sse2 0 #x11048 #x11048 #x0 #x3f67885c #x1d118905 #x1b4c027b #x7ecffc87)
  (fftwf_codelet_t2bv_64_avx 0 #x10048 #x10048 #x0 #x71b35416 #x033191ee #x08427f48 #x060813e0)
)
"""
}
