using FineTune.Core.Torch;

namespace FineTune.Core.Tests.Torch;

/// <summary>Mangled C++ names read as qualified names in messages (not a demangler: enough to name an op or class).</summary>
public class SymbolNamesTests
{
    [Theory]
    [InlineData("_ZN2at4_ops10add_Tensor4callERKNS_6TensorES5_RKN3c106ScalarE", "at::_ops::add_Tensor::call")]
    [InlineData("_ZNK5torch8autograd4Node4nameB5cxx11Ev", "torch::autograd::Node::name")]
    [InlineData("_ZN3c107WarningC1ESt7variantIJNS0_11UserWarningENS0_18DeprecationWarningEEERKNS_14SourceLocationENSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEEb", "c10::Warning::Warning")]
    [InlineData("_ZN5torch2nn6detail11RNNImplBaseINS0_8LSTMImplEE2toEN3c106DeviceEb", "torch::nn::detail::RNNImplBase<…>::to")]
    [InlineData("_ZTVN5torch5optim14RMSpropOptionsE", "vtable for torch::optim::RMSpropOptions")]
    [InlineData("_ZN3c1019UndefinedTensorImpl10_singletonE", "c10::UndefinedTensorImpl::_singleton")]
    [InlineData("_Z15THSTensor_randnv", "THSTensor_randn")]
    [InlineData("malloc", "malloc")]
    [InlineData("_Zgarbage", "_Zgarbage")]
    public void Reads_the_qualified_name(string mangled, string readable) => Assert.Equal(readable, SymbolNames.Readable(mangled));
}
