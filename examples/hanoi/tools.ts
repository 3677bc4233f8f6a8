// The Hanoi example's vote parser, registered by name (`parser: { function: hanoi }`): the paper's
// red-flag parser, with the disk count read from the vote step's input.
export { hanoiVoteParser } from 'switchyard';
