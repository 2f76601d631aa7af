import Foundation
import Testing
@testable import Dashboard

/// The header names the OpenBLAS kernels when the train command says which (after the run folder,
/// where there is room), and is unchanged when it does not.
@Suite struct HeaderKernelsTests {
    func header(_ kernels: String, width: Int) -> String {
        var context = Fixtures.context
        context.kernels = kernels
        let s = AppState(context: context, now: 1000)
        var b = CellBuffer(width: width, height: Header.height(s, width: width))
        Header.render(s, area: b.area, theme: Theme(mode: .monochrome), glyphs: .unicode, into: &b)
        return b.text()
    }

    @Test func namesTheKernelsWhenThereIsRoom() {
        let text = header("SkylakeX kernels (chosen for AVX-512)", width: 120)
        #expect(text.contains("SkylakeX kernels (chosen for AVX-512)"), "\(text)")
        #expect(!header("", width: 120).contains("kernels"))
    }
}
