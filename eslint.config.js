// placeholder: replaced by the lint setup
export default [];
