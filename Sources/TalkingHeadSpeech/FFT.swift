import CFFTW
import Foundation

/// Planning in FFTW is not thread-safe (execution is): one lock for every plan made here.
private let fftwPlanLock = NSLock()

/// A real-input FFT of a fixed size through FFTW (single precision), giving |X[k]| for
/// k = 0...n/2. Not thread-safe: one instance per analysing thread.
final class RealFFT {
    let size: Int
    private let input: UnsafeMutablePointer<Float>
    private let output: UnsafeMutablePointer<fftwf_complex>
    private let plan: fftwf_plan

    init(size: Int) {
        precondition(size >= 2 && size % 2 == 0, "FFT size must be even")
        self.size = size
        input = fftwf_alloc_real(size)
        output = fftwf_alloc_complex(size / 2 + 1)
        fftwPlanLock.lock()
        // ESTIMATE: no timing runs at start-up; at these sizes the plans are within a few percent.
        plan = fftwf_plan_dft_r2c_1d(Int32(size), input, output, UInt32(FFTW_ESTIMATE))
        fftwPlanLock.unlock()
    }

    deinit {
        fftwPlanLock.lock()
        fftwf_destroy_plan(plan)
        fftwPlanLock.unlock()
        fftwf_free(input)
        fftwf_free(output)
    }

    /// Writes the magnitudes of the DFT of `frame` (count == size) into `magnitudes` (size/2+1).
    func magnitudes(of frame: UnsafeBufferPointer<Float>, into magnitudes: UnsafeMutableBufferPointer<Float>) {
        precondition(frame.count == size && magnitudes.count == size / 2 + 1)
        input.update(from: frame.baseAddress!, count: size)
        fftwf_execute(plan)
        for k in 0...(size / 2) {
            let re = output[k].0, im = output[k].1
            magnitudes[k] = (re * re + im * im).squareRoot()
        }
    }
}
