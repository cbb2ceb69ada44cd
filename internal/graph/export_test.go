package graph

// The helpers of the emulator tests, which are in package graph_test: internal/graphtest
// imports this package, so a test inside it cannot import graphtest.
var (
	MustPimError = mustPimError
	CtxT         = ctxT
	SameTime     = sameTime
)

const (
	TestPrincipal = testPrincipal
	TestGroup     = testGroup
	TestRequestID = testRequestID
)

type FakeCred = fakeCred
