// SPDX-License-Identifier: Apache-2.0
// Benchmark wrapper: the bare MAC array fed by an on-chip LFSR stimulus.
`timescale 1ns / 1ps
`default_nettype none

// Measures the simulator's speed on the array alone (the reference for the
// top level's speed in docs/performance.md): after start_i it runs N_i steps
// of 16-step tiles with pseudo-random activations and weights, drains
// nothing, and raises done_o.  No testbench activity per cycle.
module tb_bare_array #(
    // array rows
    parameter ROWS = 8,
    // array columns
    parameter COLS = 8,
    // accumulator width
    parameter ACC_W = 20
) (
    input  wire        clk_i,
    input  wire        rst_ni,
    input  wire        start_i,
    input  wire [31:0] n_i,
    output reg         done_o,
    output wire [ACC_W-1:0] probe_o
);
    reg [31:0] left_q;
    reg [3:0]  k_q;
    reg        run_q;
    reg [ROWS*4-1:0] a_q;
    reg [COLS*4-1:0] w_q;
    wire [ROWS*ACC_W-1:0] rd;
    integer i;

    always @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
            left_q <= 32'd0; k_q <= 4'd0; run_q <= 1'b0; done_o <= 1'b0;
            a_q <= {ROWS*4{1'b1}}; w_q <= {COLS*4{1'b1}};
        end else begin
            if (start_i) begin
                run_q <= 1'b1; left_q <= n_i; done_o <= 1'b0;
            end else if (run_q) begin
                left_q <= left_q - 32'd1;
                k_q <= k_q + 4'd1;
                if (left_q == 32'd1) begin
                    run_q <= 1'b0; done_o <= 1'b1;
                end
            end
            // one Galois LFSR step per 32-bit lane group keeps operands changing
            for (i = 0; i < ROWS*4; i = i + 1)
                a_q[i] <= (i == 0) ? a_q[ROWS*4-1] : a_q[i-1] ^ (a_q[ROWS*4-1] & (i % 3 == 0));
            for (i = 0; i < COLS*4; i = i + 1)
                w_q[i] <= (i == 0) ? w_q[COLS*4-1] : w_q[i-1] ^ (w_q[COLS*4-1] & (i % 5 == 0));
        end
    end

    spw_mac_array #(.ROWS(ROWS), .COLS(COLS), .ACC_W(ACC_W)) u_array (
        .clk_i(clk_i), .rst_ni(rst_ni), .step_i(run_q), .first_i(k_q == 4'd0), .last_i(k_q == 4'd15),
        .a_i(a_q), .w_i(w_q), .rd_col_i({$clog2(COLS){1'b0}}), .rd_data_o(rd)
    );
    assign probe_o = rd[ACC_W-1:0];
endmodule

`default_nettype wire
