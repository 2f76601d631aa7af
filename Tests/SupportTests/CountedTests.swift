import Support
import Testing

@Suite struct CountedTests {
    @Test func singularOnlyForOne() {
        #expect(counted(1, "class") == "1 class")
        #expect(counted(2, "class") == "2 classes")
        #expect(counted(0, "clip") == "0 clips")
        #expect(counted(1, "step") == "1 step")
        #expect(counted(2, "epoch") == "2 epochs")
        #expect(counted(3, "box") == "3 boxes")
        #expect(counted(3, "batch", "batches") == "3 batches")
        #expect(counted(2, "index", "indices") == "2 indices")
        #expect(counted(1, "index", "indices") == "1 index")
    }
}
