import CPNG
import Foundation
import Support

/// The one Swift file that talks to libpng (its simplified API, which needs no setjmp).
enum PNGWriter {
    /// Writes 8-bit RGB pixels (row-major, 3 bytes per pixel, top row first) atomically.
    static func writeRGB(_ pixels: [UInt8], width: Int, height: Int, to url: URL) throws {
        precondition(pixels.count == width * height * 3)
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = UInt32(PNG_FORMAT_RGB)
        var size: Int = 0
        let stride = Int32(width * 3)
        let ok1 = pixels.withUnsafeBytes { png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, stride, nil) }
        guard ok1 != 0, size > 0 else {
            throw UserError("cannot encode PNG \(url.path): \(pngMessage(&image))")
        }
        var data = Data(count: size)
        let ok2 = data.withUnsafeMutableBytes { dst in
            pixels.withUnsafeBytes { png_image_write_to_memory(&image, dst.baseAddress, &size, 0, $0.baseAddress, stride, nil) }
        }
        guard ok2 != 0 else { throw UserError("cannot encode PNG \(url.path): \(pngMessage(&image))") }
        png_image_free(&image)
        try AtomicFile.write(data.prefix(size), to: url)
    }

    private static func pngMessage(_ image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
